"""Reorder suggestions: which variants, less what POs bring (sent, partly received, drafts; not
drop-ship, not closed or cancelled), grouped by preferred vendor, packs rounded up to at least
the minimum; "Create draft POs" once; the page's query count; isolation."""

from __future__ import annotations

import threading
from itertools import count
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.vendors_directory import new_variant, new_vendor, new_vendor_product
from tests.support.committed import committed_app_fixture, needs_committed_pg
from vendors.directory import reorder
from vendors.directory.services import archive_vendor
from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus

BASE = "/shop/shop-a/admin/purchasing"
_numbers = count(1)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def po_with(vendor, variant, *, status, ordered, received=0, closed=0, pack=6, drop_ship=False):
    """A PO in ``status`` with one line of ``variant`` (flushed)."""
    po = PurchaseOrder(
        number=f"PO-T-{next(_numbers)}",
        vendor_id=vendor.id,
        currency="USD",
        status=status,
        drop_ship=drop_ship,
    )
    db.session.add(po)
    db.session.flush()
    db.session.add(
        PurchaseOrderLine(
            po_id=po.id,
            variant_id=variant.id,
            description="x",
            unit_cost=100,
            pack_size=pack,
            quantity_ordered=ordered,
            quantity_received=received,
            quantity_closed=closed,
        )
    )
    db.session.flush()
    return po


def by_sku(found: reorder.Reorder) -> dict[str, tuple[str, int]]:
    """{sku: (where it is listed, packs)}."""
    shown = {}
    for group in found.groups:
        for item in group.suggestions:
            shown[item.variant.sku] = (group.vendor.name, item.packs)
    for item in found.unassigned:
        shown[item.variant.sku] = ("unassigned", item.short)
    for item in found.covered:
        shown[item.variant.sku] = ("covered", 0)
    return shown


def test_which_variants_and_how_many_packs(app_ctx, shop_a):
    with tenant_context(shop_a):
        acme, globex = new_vendor("Acme"), new_vendor("Globex")
        low = new_variant(sku="LOW", stock=3, threshold=10)
        new_vendor_product(acme, low, pack_size=6, preferred=True)  # short 8 -> 2 packs
        minimum = new_variant(sku="MIN", stock=3, threshold=10)
        new_vendor_product(globex, minimum, pack_size=6, min_order_packs=3, preferred=True)
        at = new_variant(sku="AT", stock=5, threshold=5)  # at the threshold: short 1
        new_vendor_product(acme, at, pack_size=12, preferred=True)
        empty = new_variant(sku="EMPTY", threshold=4)  # none in stock: short 5
        new_vendor_product(acme, empty, preferred=True)
        unpreferred = new_variant(sku="NOPREF", stock=1, threshold=2)
        new_vendor_product(acme, unpreferred)
        new_variant(sku="NOVENDOR", stock=0, threshold=1)
        new_variant(sku="ABOVE", stock=6, threshold=5)
        new_variant(sku="NOTHRESHOLD", stock=0, threshold=0)
        untracked = new_variant(sku="UNTRACKED", threshold=3)
        untracked.track_stock = False
        db.session.flush()
        found = reorder.reorder_suggestions()
    assert by_sku(found) == {
        "LOW": ("Acme", 2),
        "AT": ("Acme", 1),
        "EMPTY": ("Acme", 5),
        "MIN": ("Globex", 3),
        "NOPREF": ("unassigned", 2),
        "NOVENDOR": ("unassigned", 2),
    }
    assert [group.vendor.name for group in found.groups] == ["Acme", "Globex"]
    acme_group = found.groups[0]
    assert acme_group.cost == (2 + 1 + 5) * 500  # packs x cost per pack
    [nopref] = [item for item in found.unassigned if item.variant.sku == "NOPREF"]
    assert nopref.vendors == 1


def test_what_purchase_orders_bring_counts_first(app_ctx, shop_a):
    with tenant_context(shop_a):
        acme = new_vendor("Acme")
        variant = new_variant(sku="W", stock=2, threshold=20)  # short 19
        new_vendor_product(acme, variant, pack_size=6, preferred=True)
        # Still to come: 2 packs (12 units) sent; 3 ordered, 1 received, 1 closed (6) ...
        po_with(acme, variant, status=PurchaseStatus.SENT, ordered=2)
        po_with(
            acme, variant, status=PurchaseStatus.PARTIALLY_RECEIVED, ordered=3, received=1, closed=1
        )
        # ... nothing from these.
        po_with(acme, variant, status=PurchaseStatus.RECEIVED, ordered=5, received=5)
        po_with(acme, variant, status=PurchaseStatus.CANCELLED, ordered=5)
        po_with(acme, variant, status=PurchaseStatus.CLOSED, ordered=5, closed=5)
        po_with(acme, variant, status=PurchaseStatus.SENT, ordered=5, drop_ship=True)
        po_with(acme, variant, status=PurchaseStatus.SENT, ordered=1, received=3)  # over-receipt
        [item] = reorder.reorder_suggestions().groups[0].suggestions
        assert (item.on_order, item.on_draft, item.short, item.packs) == (18, 0, 1, 1)
        po_with(acme, variant, status=PurchaseStatus.DRAFT, ordered=1)
        found = reorder.reorder_suggestions()
        assert found.groups == []
        [covered] = found.covered
        assert (covered.on_order, covered.on_draft, covered.short) == (18, 6, 0)


def test_an_archived_preferred_vendor_is_no_vendor(app_ctx, shop_a):
    with tenant_context(shop_a):
        acme = new_vendor("Acme")
        new_vendor_product(acme, new_variant(sku="W", threshold=1), preferred=True)
        archive_vendor(acme, actor_id=None)
        found = reorder.reorder_suggestions()
    assert by_sku(found) == {"W": ("unassigned", 2)}


def test_the_page_groups_by_vendor(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        acme = new_vendor("Acme")
        new_vendor_product(
            acme,
            new_variant(sku="W-1", title="Widget", threshold=3),
            pack_size=2,
            unit_cost=250,
            preferred=True,
        )
        new_variant(sku="G-1", title="Gadget", threshold=1)
        db.session.commit()
    page = client.get(f"{BASE}/reorder").get_data(as_text=True)
    acme_at, none_at = page.index(">Acme</a>"), page.index("No preferred vendor")
    assert acme_at < page.index("Widget") < none_at < page.index("Gadget")
    assert "2 packs (4 units)" in page and "$5.00" in page
    assert "Create draft POs (1 vendor)" in page
    assert "Vendors<span" in page  # G-1: a link to its product's vendors


def test_nothing_low(client, shop_a, member_of_a):
    page = client.get(f"{BASE}/reorder").get_data(as_text=True)
    assert "Nothing is low on stock" in page
    assert "Create draft POs" not in page


def test_the_page_costs_the_same_for_more_variants(client, shop_a, member_of_a, count_queries):
    def add(n: int) -> None:
        with tenant_context(shop_a):
            for vendor in (new_vendor("Acme"), new_vendor("Globex")):
                for _ in range(n):
                    variant = new_variant(threshold=5)
                    new_vendor_product(vendor, variant, preferred=True)
                    po_with(vendor, variant, status=PurchaseStatus.SENT, ordered=1)
            new_variant(threshold=5)
            db.session.commit()

    def cost() -> int:
        with count_queries() as counted:
            assert client.get(f"{BASE}/reorder").status_code == 200
        return counted.count

    add(1)
    few = cost()
    add(6)
    assert cost() == few


def test_create_draft_pos_once(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        acme, globex = new_vendor("Acme"), new_vendor("Globex")
        new_vendor_product(
            acme, new_variant(sku="A-1", stock=1, threshold=5), pack_size=2, preferred=True
        )
        new_vendor_product(
            acme, new_variant(sku="A-2", threshold=1), min_order_packs=4, preferred=True
        )
        new_vendor_product(globex, new_variant(sku="G-1", threshold=1), preferred=True)
        db.session.commit()
    response = client.post(f"{BASE}/reorder")
    assert response.status_code == 303
    with tenant_context(shop_a):
        db.session.expire_all()
        made = db.session.scalars(sa.select(PurchaseOrder).order_by(PurchaseOrder.number)).all()
        assert {po.status for po in made} == {PurchaseStatus.DRAFT}
        lines = {
            (po.vendor_id, line.sku): line.quantity_ordered for po in made for line in po.lines
        }
        assert lines == {(acme.id, "A-1"): 3, (acme.id, "A-2"): 4, (globex.id, "G-1"): 2}
        assert {po.created_by_id for po in made} == {member_of_a.id}
    flashed = client.get(f"{BASE}/reorder").get_data(as_text=True)
    assert "Draft purchase orders made" in flashed
    assert "Low, but enough on order" in flashed  # the drafts count as on order
    again = client.post(f"{BASE}/reorder", follow_redirects=True)
    assert "Nothing left to order" in again.get_data(as_text=True)
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 2


def test_create_one_vendors_draft(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        acme, globex = new_vendor("Acme"), new_vendor("Globex")
        new_vendor_product(acme, new_variant(threshold=1), preferred=True)
        new_vendor_product(globex, new_variant(threshold=1), preferred=True)
        globex_id = globex.id
        db.session.commit()
    client.post(f"{BASE}/reorder", data={"vendor": str(globex_id)})
    with tenant_context(shop_a):
        [po] = db.session.scalars(sa.select(PurchaseOrder)).all()
        assert po.vendor_id == globex_id
    # Another shop's vendor id (or nonsense) names no group here: nothing is made.
    client.post(f"{BASE}/reorder", data={"vendor": "not-a-uuid"})
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 2


def test_another_shops_low_stock_is_not_suggested(client, shop_a, shop_b, member_of_a, no_csrf):
    with tenant_context(shop_b):
        theirs = new_vendor("Theirs")
        new_vendor_product(theirs, new_variant(sku="B-LOW", threshold=3), preferred=True)
        theirs_id = theirs.id
        db.session.commit()
    page = client.get(f"{BASE}/reorder").get_data(as_text=True)
    assert "B-LOW" not in page and "Theirs" not in page
    client.post(f"{BASE}/reorder", data={"vendor": str(theirs_id)})
    client.post(f"{BASE}/reorder")
    with tenant_context(shop_b):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 0


committed_app = committed_app_fixture(WTF_CSRF_ENABLED=False)


@needs_committed_pg
def test_clicks_at_once_make_each_draft_once(committed_app):
    """PostgreSQL, real commits: the shop's settings row makes the clicks take turns."""
    clicks = 6
    with committed_app.app_context():
        shop = create_shop(f"reorder-{uuid4().hex[:8]}", name="Busy", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            for name in ("Acme", "Globex"):
                new_vendor_product(new_vendor(name), new_variant(threshold=2), preferred=True)
        db.session.commit()
        shop_id = shop.id
    start = threading.Barrier(clicks)
    made, errors = [], []

    def click() -> None:
        try:
            with committed_app.app_context(), tenant_context(shop_id):
                start.wait()
                made.append(len(reorder.create_draft_orders(actor_id=None)))
                db.session.commit()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(made) == [0] * (clicks - 1) + [2]
    with committed_app.app_context(), tenant_context(shop_id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 2
