"""Vendor products: add one by the shop's SKU on the vendor's page, edit its terms, move the
preferred vendor, remove one (open POs keep their copy), a product's vendors; bad input and
other shops' ids."""

from __future__ import annotations

import html
import threading
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.vendors_directory import (
    make_vendor_product,
    new_variant,
    new_vendor,
    new_vendor_product,
)
from tests.support.committed import committed_app_fixture, needs_committed_pg
from vendors.directory import products
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseOrderLine, VendorProduct

BASE = "/shop/shop-a/admin/purchasing"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def setup(shop_a):
    """Two vendors of shop A and a variant ``WIDGET-1`` (committed): their ids."""
    with tenant_context(shop_a):
        acme, globex = new_vendor("Acme"), new_vendor("Globex")
        variant = new_variant(sku="WIDGET-1", title="Widget")
        db.session.commit()
        return {
            "acme": acme.id,
            "globex": globex.id,
            "variant": variant.id,
            "product": variant.product_id,
        }


def terms(**overrides) -> dict:
    data = {
        "sku": "WIDGET-1",
        "vendor_sku": "AC-77",
        "unit_cost": "12.50",
        "pack_size": "6",
        "min_order_packs": "2",
    }
    data.update(overrides)
    return data


def rows(shop) -> list[VendorProduct]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(db.session.scalars(sa.select(VendorProduct).order_by(VendorProduct.created_at)))


def test_add_a_product_by_sku(client, shop_a, member_of_a, setup, no_csrf):
    response = client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(preferred="y"))
    assert response.status_code == 303
    [item] = rows(shop_a)
    assert (item.variant_id, item.vendor_sku, item.unit_cost, item.pack_size) == (
        setup["variant"],
        "AC-77",
        1250,
        6,
    )
    assert item.min_order_packs == 2 and item.preferred and not item.drop_ship
    page = client.get(f"{BASE}/vendors/{setup['acme']}").get_data(as_text=True)
    for shown in ("Widget", "WIDGET-1", "AC-77", "$12.50", "6 units", "2 packs"):
        assert shown in page, shown


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sku": ""}, "sku", "Enter the SKU of one of your products."),
        ({"sku": "NOPE"}, "sku", "None of your products has the SKU “NOPE”."),
        ({"unit_cost": "12,5"}, "unit_cost", "Use a point for the decimals"),
        ({"unit_cost": "-1"}, "unit_cost", "Enter an amount"),
        ({"unit_cost": "1e3"}, "unit_cost", "Enter an amount such as 12.50."),
        ({"unit_cost": "99999999999999"}, "unit_cost", "Enter an amount of at most"),
        ({"pack_size": "0"}, "pack_size", "Enter a whole number from 1 to 100,000."),
        ({"pack_size": "99999999999999999999999"}, "pack_size", "from 1 to 100,000"),
        ({"min_order_packs": "1.5"}, "min_order_packs", "Enter a whole number."),
        ({"vendor_sku": "x" * 65}, "vendor_sku", "at most 64 characters"),
    ],
)
def test_a_bad_product_form_says_why(
    client, shop_a, member_of_a, setup, no_csrf, changes, field, message
):
    response = client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(**changes))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f'id="{field}-errors"' in page
    assert message in page
    assert rows(shop_a) == []


def test_another_shops_sku_is_not_found(client, shop_a, shop_b, member_of_a, setup, no_csrf):
    with tenant_context(shop_b):
        new_variant(sku="THEIRS-1")
        db.session.commit()
    response = client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(sku="THEIRS-1"))
    assert response.status_code == 422
    assert "None of your products has the SKU" in html.unescape(response.get_data(as_text=True))


def test_a_vendor_supplies_a_variant_once(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms())
    again = client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(unit_cost="1"))
    assert again.status_code == 422
    assert "Acme already supplies WIDGET-1" in html.unescape(again.get_data(as_text=True))
    assert len(rows(shop_a)) == 1


def test_an_archived_vendor_takes_no_new_products(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/archive")
    response = client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms())
    assert response.status_code == 422
    assert "archived" in response.get_data(as_text=True)
    assert rows(shop_a) == []


def test_preferred_moves_from_one_vendor_to_the_other(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(preferred="y"))
    client.post(f"{BASE}/vendors/{setup['globex']}/products", data=terms(preferred="y"))
    acme, globex = rows(shop_a)
    assert not acme.preferred and globex.preferred  # adding as preferred moved it
    response = client.post(f"{BASE}/vendor-products/{acme.id}/prefer", follow_redirects=True)
    assert "Preferred vendor set" in response.get_data(as_text=True)
    acme, globex = rows(shop_a)
    assert acme.preferred and not globex.preferred
    again = client.post(f"{BASE}/vendor-products/{acme.id}/prefer", follow_redirects=True)
    assert "already was the preferred vendor" in again.get_data(as_text=True)
    # From the product's vendors page, back to it.
    response = client.post(f"{BASE}/vendor-products/{globex.id}/prefer", data={"back": "product"})
    assert response.headers["Location"].endswith(f"/products/{setup['product']}/vendors")
    assert [item.preferred for item in rows(shop_a)] == [False, True]


def test_the_database_refuses_two_preferred_vendors(app_ctx, shop_a, setup):
    with tenant_context(shop_a):
        variant_id = setup["variant"]
        db.session.add(
            VendorProduct(vendor_id=setup["acme"], variant_id=variant_id, preferred=True)
        )
        db.session.flush()
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(
                VendorProduct(vendor_id=setup["globex"], variant_id=variant_id, preferred=True)
            )
            db.session.flush()


def test_edit_the_terms(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(preferred="y"))
    [item] = rows(shop_a)
    page = client.get(f"{BASE}/vendor-products/{item.id}/edit").get_data(as_text=True)
    assert 'value="12.50"' in page and 'value="AC-77"' in page
    response = client.post(
        f"{BASE}/vendor-products/{item.id}/edit",
        data={
            "vendor_sku": "AC-78",
            "unit_cost": "9",
            "pack_size": "12",
            "min_order_packs": "1",
            "drop_ship": "y",
        },
    )
    assert response.status_code == 303
    [item] = rows(shop_a)
    assert (item.vendor_sku, item.unit_cost, item.pack_size, item.min_order_packs) == (
        "AC-78",
        900,
        12,
        1,
    )
    assert item.drop_ship and not item.preferred  # unticked: no longer preferred
    bad = client.post(
        f"{BASE}/vendor-products/{item.id}/edit",
        data={"unit_cost": "x", "pack_size": "12", "min_order_packs": "1"},
    )
    assert bad.status_code == 422
    assert 'value="x"' in bad.get_data(as_text=True)  # what was typed stays


def test_remove_says_when_open_pos_still_name_it(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms())
    [item] = rows(shop_a)
    item_id = item.id
    with tenant_context(shop_a):
        po = PurchaseOrder(number="SHOP-A-PO-1", vendor_id=setup["acme"], currency="USD")
        db.session.add(po)
        db.session.flush()
        db.session.add(
            PurchaseOrderLine(
                po_id=po.id,
                variant_id=setup["variant"],
                description="Widget",
                unit_cost=1250,
                quantity_ordered=3,
                pack_size=6,
            )
        )
        db.session.commit()
    response = client.post(f"{BASE}/vendor-products/{item_id}/remove", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Removed from this vendor" in page
    assert "1 open purchase order still name it" in page
    assert rows(shop_a) == []
    with tenant_context(shop_a):
        line = db.session.scalars(sa.select(PurchaseOrderLine)).one()
        assert (line.pack_size, line.unit_cost) == (6, 1250)  # the PO's copy stays


def test_a_products_vendors_page(client, shop_a, member_of_a, setup, no_csrf):
    client.post(f"{BASE}/vendors/{setup['acme']}/products", data=terms(unit_cost="3"))
    client.post(
        f"{BASE}/vendors/{setup['globex']}/products", data=terms(unit_cost="4", preferred="y")
    )
    page = client.get(f"{BASE}/products/{setup['product']}/vendors").get_data(as_text=True)
    assert "Vendors of Widget" in page
    page = page[page.index("<h1") :]  # past the flashed messages
    assert page.index("Globex") < page.index("Acme")  # the preferred first
    assert "$3.00" in page and "$4.00" in page
    assert "Make preferred" in page


def _vp(setup, name):
    from vendors.directory.services import get_vendor

    vendor = get_vendor(setup[name])
    return new_vendor_product(vendor, products.variant_by_sku("WIDGET-1"))


def test_services_refuse_out_of_range_terms(app_ctx, shop_a, setup):
    with tenant_context(shop_a):
        item = _vp(setup, "acme")
        for bad in (
            {"pack_size": 0},
            {"min_order_packs": 10**9},
            {"unit_cost": -1},
            {"unit_cost": 10**15},
        ):
            with pytest.raises(PurchasingError):
                products.update_vendor_product(
                    item, terms=products.SupplyInput(**{"unit_cost": 1, **bad}), actor_id=None
                )


def test_another_shops_vendor_product_is_404(client, shop_a, shop_b, member_of_a, setup, no_csrf):
    theirs = make_vendor_product(shop_b)
    for method, path in (
        ("GET", f"/vendor-products/{theirs}/edit"),
        ("POST", f"/vendor-products/{theirs}/edit"),
        ("POST", f"/vendor-products/{theirs}/prefer"),
        ("POST", f"/vendor-products/{theirs}/remove"),
    ):
        assert client.open(BASE + path, method=method, data=terms()).status_code == 404, path
    with tenant_context(shop_b):
        their_product = products.variant_of(db.session.scalars(sa.select(VendorProduct)).one())
        their_product = their_product.product_id
    assert client.get(f"{BASE}/products/{their_product}/vendors").status_code == 404
    assert len(rows(shop_b)) == 1


def test_the_vendor_page_costs_the_same_for_more_products(
    client, shop_a, member_of_a, setup, count_queries
):
    def supply(n: int) -> None:
        from vendors.directory.services import get_vendor

        with tenant_context(shop_a):
            vendor = get_vendor(setup["acme"])
            for _ in range(n):
                new_vendor_product(vendor, new_variant())
            db.session.commit()

    def cost() -> int:
        with count_queries() as counted:
            assert client.get(f"{BASE}/vendors/{setup['acme']}").status_code == 200
        return counted.count

    supply(1)
    few = cost()
    supply(8)
    assert cost() == few


def test_other_parts_add_blocks_to_the_vendor_page(
    app, client, shop_a, member_of_a, setup, monkeypatch
):
    from vendors.directory.sections import SECTIONS_KEY, add_vendor_section

    monkeypatch.setitem(app.extensions, SECTIONS_KEY, [])
    add_vendor_section(app, lambda vendor: f"<section><h2>Bills of {vendor.name}</h2></section>")
    page = client.get(f"{BASE}/vendors/{setup['acme']}").get_data(as_text=True)
    assert "<h2>Bills of Acme</h2>" in page


def test_the_purchasing_pages_share_a_sub_navigation(client, shop_a, member_of_a, setup):
    page = client.get(f"{BASE}/vendors/{setup['acme']}").get_data(as_text=True)
    nav = page[page.index('aria-label="Purchasing"') :]
    nav = nav[: nav.index("</nav>")]
    assert 'aria-current="page" href="/shop/shop-a/admin/purchasing/vendors"' in nav
    for label in ("Vendors", "Reorder", "Settings"):
        assert f">{label}</a>" in nav


committed_app = committed_app_fixture(WTF_CSRF_ENABLED=False)


@needs_committed_pg
def test_preferred_set_at_once_leaves_one_preferred(committed_app):
    """PostgreSQL, real commits: vendors made preferred at the same moment; the partial unique
    index keeps one, the others are told to reload (never a 500)."""
    vendors = 5
    with committed_app.app_context():
        shop = create_shop(f"prefer-{uuid4().hex[:8]}", name="Busy", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            variant = new_variant()
            items = [new_vendor_product(new_vendor(f"V{n}"), variant).id for n in range(vendors)]
        db.session.commit()
        shop_id = shop.id
    start = threading.Barrier(vendors)
    outcomes, errors = [], []

    def prefer(item_id) -> None:
        try:
            with committed_app.app_context(), tenant_context(shop_id):
                item = products.get_vendor_product(item_id)
                start.wait()
                try:
                    products.set_preferred(item, actor_id=None)
                    db.session.commit()
                    outcomes.append("set")
                except PurchasingError as refused:
                    db.session.rollback()
                    outcomes.append(str(refused))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=prefer, args=(item_id,)) for item_id in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert "set" in outcomes
    lost = "Another vendor was made preferred at the same time: reload the page."
    assert set(outcomes) <= {"set", lost}
    with committed_app.app_context(), tenant_context(shop_id):
        preferred = db.session.scalar(
            sa.select(sa.func.count()).select_from(VendorProduct).where(VendorProduct.preferred)
        )
        assert preferred == 1
