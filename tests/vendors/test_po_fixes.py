"""Fixes after the tester's round on purchasing and the vendor link: a drop-ship PO counts the
customer's units everywhere (never "1 x … per pack of 12" for 2 units), stacked tables keep
their labels on a phone, the vendor's tracking number is a tracking number and the carrier
shows by name, closing short and cancelling ask once, counts are pluralised, a resend keeps
the first send time, and the plain-text email carries the shop's note."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders.models import Shipment
from mall.orders.services import mark_order_paid
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl import purchasing as stock
from tests.crawl.vendor_link import make_variant, make_vendor, place_lines_order, supply
from tests.support.mail import clear_outbox, sent_to, text_of
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseReceipt, PurchaseStatus
from vendors.purchasing import wording
from vendors.purchasing.receiving import receive
from vendors.purchasing.services import get_purchase_order, send_purchase_order
from vendors.vendor_link import tokens
from vendors.vendor_link.confirmations import record_vendor_reply

ADMIN = "/shop/shop-a/admin/purchasing/orders"
VENDOR = "orders@acme.test"


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    yield app
    clear_outbox(app)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner@example.com", name="Olga Owner")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def form_key(html: str) -> str:
    return re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', html).group(1)


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def drop_ship_of_a_pack(shop, *, units=2, pack_size=12, pack_cost=2400) -> SimpleNamespace:
    """A paid order of ``units`` basil seeds that Acme drop-ships from packs of ``pack_size``."""
    with tenant_context(shop):
        vendor = make_vendor("Acme Seeds")
        variant = make_variant(title="Basil seeds")
        supply(vendor, variant, pack_size=pack_size, unit_cost=pack_cost, vendor_sku="AC-BAS-12")
        order = place_lines_order(shop, [(variant, units)])
        assert mark_order_paid(order)
        db.session.flush()
        po = db.session.scalars(
            sa.select(PurchaseOrder).where(PurchaseOrder.order_id == order.id)
        ).one()
        made = SimpleNamespace(
            id=po.id,
            number=po.number,
            line_id=po.lines[0].id,
            title=po.lines[0].description,
            path=path_of(tokens.vendor_link_url(po)),
            vendor_email=vendor.email,
        )
        db.session.commit()
    return made


def load(shop, po_id) -> PurchaseOrder:
    with tenant_context(shop):
        db.session.expire_all()
        return get_purchase_order(po_id)


def sent_stock_po(shop, *, packs=3, pack_size=12) -> SimpleNamespace:
    """A sent stock PO of ``shop``: ``packs`` packs of ``pack_size`` of one product."""
    with tenant_context(shop):
        po = stock.draft_po(shop, packs=packs, pack_size=pack_size)
        send_purchase_order(po, actor_id=None)
        made = SimpleNamespace(
            id=po.id,
            number=po.number,
            line_id=po.lines[0].id,
            title=po.lines[0].description,
            path=path_of(tokens.vendor_link_url(po)),
        )
        db.session.commit()
    return made


def cells_without_label(html: str) -> list[str]:
    """Every ``<td>`` of a stacked table (``table-stack``) that has no ``data-label``."""
    missing = []
    for table in re.findall(r'<table class="[^"]*table-stack.*?</table>', html, re.S):
        body = table.split("<tbody>", 1)[-1]
        missing += [cell for cell in re.findall(r"<td\b[^>]*>", body) if "data-label" not in cell]
    return missing


# ---------------------------------------------------------------- 1. drop-ship counts units


def test_a_drop_ship_line_orders_the_customers_units_at_the_cost_of_one(shop_a, outbox):
    made = drop_ship_of_a_pack(shop_a, units=2, pack_size=12, pack_cost=2400)
    with tenant_context(shop_a):
        (line,) = get_purchase_order(made.id).lines
        assert (line.quantity_ordered, line.pack_size, line.unit_cost) == (2, 1, 200)
    [mail] = sent_to(outbox, made.vendor_email)
    text = text_of(mail)
    assert f"2 x {made.title} (your SKU AC-BAS-12), $2.00 per unit" in text
    assert "pack" not in text
    html = html_of(mail)
    assert "Cost per unit" in html and "Units per pack" not in html and "pack" not in html


def test_a_parcel_takes_any_number_of_the_customers_units(shop_a):
    made = drop_ship_of_a_pack(shop_a, units=3, pack_size=2)
    for units, key in ((1, "c"), (2, "d")):  # no "send whole packs" for a drop-ship parcel
        with tenant_context(shop_a):
            po = get_purchase_order(made.id)
            record_vendor_reply(
                po,
                expected_on=None,
                carrier="ups",
                tracking_number=f"1Z{key}",
                shipped={made.line_id: units},
                form_key=key * 32,
            )
            db.session.commit()
    with tenant_context(shop_a):
        db.session.expire_all()
        po = get_purchase_order(made.id)
        assert po.status is PurchaseStatus.RECEIVED
        assert (po.lines[0].quantity_received, po.lines[0].quantity_ordered) == (3, 3)


def test_a_units_cost_is_rounded_half_up():
    from vendors.purchasing.services import unit_cost_of_pack

    assert [unit_cost_of_pack(cost, 3) for cost in (100, 101, 200, 0)] == [33, 34, 67, 0]
    assert unit_cost_of_pack(2400, 12) == 200 and unit_cost_of_pack(999, 1) == 999


def test_the_vendor_and_the_shop_read_the_same_units_through_a_parcel(
    client, shop_a, owner, outbox, no_csrf
):
    made = drop_ship_of_a_pack(shop_a, units=2, pack_size=12)
    page = client.get(made.path).get_data(as_text=True)
    assert "Units ordered" in page and "2 units" in page and "Packs of 12" not in page
    response = client.post(
        made.path,
        data={
            "key": form_key(page),
            "carrier": "ups",
            "tracking_number": "1Z999AA10123456784",
            f"shipped_{made.line_id.hex}": "1",
        },
    )
    assert response.status_code == 303
    page = client.get(made.path).get_data(as_text=True)
    assert "Shipment recorded: 1 item with UPS." in page
    admin = client.get(f"{ADMIN}/{made.id}").get_data(as_text=True)
    assert "Cost per unit" in admin and "$2.00" in admin
    assert f"1 unit of {made.title}" in admin  # the receipt: never "1 pack (12 units)"
    assert re.search(r'data-label="Ordered"[^>]*>\s*<span>2 units', admin)
    assert re.search(r'data-label="Received"[^>]*>\s*<span>1 unit<', admin)
    assert "pack" not in admin.split("Lines", 1)[1].split("Receipts")[0].lower().replace(
        "packs-", ""
    )
    with tenant_context(shop_a):
        (receipt,) = db.session.scalars(sa.select(PurchaseReceipt)).all()
        assert [(rl.packs, rl.units) for rl in receipt.lines] == [(1, 1)]
    document = client.get(f"{ADMIN}/{made.id}/document").get_data(as_text=True)
    assert "Cost per unit" in document and "Units per pack" not in document


# ---------------------------------------------------------------- 2. stacked tables


def test_every_cell_of_the_stacked_tables_has_its_label(client, shop_a, owner, outbox):
    made = drop_ship_of_a_pack(shop_a)
    vendor_page = client.get(made.path).get_data(as_text=True)
    assert "table-stack" in vendor_page and cells_without_label(vendor_page) == []
    assert 'data-label="Your SKU"' in vendor_page and 'data-label="Units shipped"' in vendor_page
    stock_po = sent_stock_po(shop_a)
    for path in (stock_po.path, f"{ADMIN}/{stock_po.id}", f"{ADMIN}/{made.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "table-stack" in html and cells_without_label(html) == [], path
    assert 'data-label="Packs received"' in client.get(stock_po.path).get_data(as_text=True)


# ---------------------------------------------------------------- 3. tracking numbers


@pytest.mark.parametrize(
    "typed",
    ["<script>alert(1)</script>", "1Z9<b>", "abc/def", "'\"x", "1Z 999", "x" * 101, "1Z\x00"],
)
def test_the_vendor_link_refuses_what_is_not_a_tracking_number(client, shop_a, no_csrf, typed):
    made = drop_ship_of_a_pack(shop_a)
    page = client.get(made.path).get_data(as_text=True)
    response = client.post(
        made.path,
        data={
            "key": form_key(page),
            "carrier": "ups",
            "tracking_number": typed,
            f"shipped_{made.line_id.hex}": "2",
        },
    )
    html = response.get_data(as_text=True)
    if "\x00" in typed:  # the app refuses a NUL byte in any form before the page reads it
        assert response.status_code == 400
    else:
        assert response.status_code == 422
        assert "tracking number" in html and "<script>alert" not in html
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
    assert load(shop_a, made.id).tracking_number == ""


def test_the_service_refuses_it_too(shop_a):
    made = drop_ship_of_a_pack(shop_a)
    with tenant_context(shop_a):
        po = get_purchase_order(made.id)
        with pytest.raises(PurchasingError, match="letters, digits and hyphens"):
            record_vendor_reply(
                po,
                expected_on=None,
                carrier="ups",
                tracking_number="<script>alert(1)</script>",
                shipped={made.line_id: 2},
                form_key="a" * 32,
            )
        db.session.rollback()


def test_real_tracking_numbers_pass_and_the_po_page_names_the_carrier(
    client, shop_a, owner, no_csrf
):
    made = drop_ship_of_a_pack(shop_a)
    page = client.get(made.path).get_data(as_text=True)
    response = client.post(
        made.path,
        data={"key": form_key(page), "carrier": "ups", "tracking_number": "1Z999AA-10123"},
    )
    assert response.status_code == 303
    admin = client.get(f"{ADMIN}/{made.id}").get_data(as_text=True)
    assert re.search(r"<dt[^>]*>Tracking</dt><dd[^>]*>UPS 1Z999AA-10123</dd>", admin)


# ---------------------------------------------------------------- 4. ask once


def test_close_short_asks_once_saying_what_will_not_come(client, shop_a, owner, no_csrf):
    made = sent_stock_po(shop_a, packs=3, pack_size=12)
    response = client.post(f"{ADMIN}/{made.id}/close-short")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Close {made.number} short?" in html
    assert f"3 packs (36 units) of {made.title} will not come." in html
    assert 'name="confirm" value="yes"' in html and "No, keep it" in html
    assert load(shop_a, made.id).status is PurchaseStatus.SENT
    response = client.post(f"{ADMIN}/{made.id}/close-short", data={"confirm": "yes"})
    assert response.status_code == 303
    with tenant_context(shop_a):
        db.session.expire_all()
        po = get_purchase_order(made.id)
        assert po.status is PurchaseStatus.CLOSED and po.lines[0].quantity_closed == 3
    # A stale page asking again: no question, the move says it happened already.
    response = client.post(f"{ADMIN}/{made.id}/close-short", follow_redirects=True)
    assert f"{made.number} is already closed: nothing changed." in response.get_data(as_text=True)


def test_close_short_counts_only_what_is_missing(client, shop_a, owner, no_csrf):
    made = sent_stock_po(shop_a, packs=3, pack_size=1)
    with tenant_context(shop_a):
        po = get_purchase_order(made.id)
        receive(po, quantities={made.line_id: 2}, receipt_key="k-1", actor_id=None)
        db.session.commit()
    html = client.post(f"{ADMIN}/{made.id}/close-short").get_data(as_text=True)
    assert f"1 pack of {made.title} will not come." in html


def test_cancel_asks_once_then_cancels(client, shop_a, owner, no_csrf):
    made = sent_stock_po(shop_a, packs=1, pack_size=1)
    response = client.post(f"{ADMIN}/{made.id}/cancel")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"Cancel {made.number}?" in html
    assert f"1 pack of {made.title} will not come." in html
    assert "The vendor&#39;s link stops working." in html or "vendor's link stops" in html
    assert load(shop_a, made.id).status is PurchaseStatus.SENT
    response = client.post(f"{ADMIN}/{made.id}/cancel", data={"confirm": "yes"})
    assert response.status_code == 303
    assert load(shop_a, made.id).status is PurchaseStatus.CANCELLED


def test_the_question_needs_the_csrf_token(app, client, shop_a, owner):
    made = sent_stock_po(shop_a)
    response = client.post(f"{ADMIN}/{made.id}/close-short")
    assert response.status_code == 400 and "Close short?" not in response.get_data(as_text=True)
    assert load(shop_a, made.id).status is PurchaseStatus.SENT


# ---------------------------------------------------------------- 5. plurals


def test_counts_are_pluralised():
    assert wording.count(1, "unit") == "1 unit" and wording.count(0, "unit") == "0 units"
    assert wording.count(12_000, "pack") == "12,000 packs"
    assert wording.quantity(1, 1) == "1 pack"
    assert wording.quantity(1, 12) == "1 pack (12 units)"
    assert wording.quantity(2, 1, drop_ship=True) == "2 units"
    assert wording.quantity(1, 1, drop_ship=True) == "1 unit"


def test_receiving_one_unit_says_one_unit(client, shop_a, owner, no_csrf):
    made = sent_stock_po(shop_a, packs=2, pack_size=1)
    page = client.get(f"{ADMIN}/{made.id}").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        f"{ADMIN}/{made.id}/receive",
        data={"key": key, f"packs-{made.line_id}": "1"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Received 1 unit into stock." in html
    assert f"1 pack (1 unit) of {made.title}" in html
    assert "1 units" not in html and "1 packs" not in html


def test_the_vendor_page_and_its_refusals_say_one_unit(client, shop_a, no_csrf):
    made = drop_ship_of_a_pack(shop_a, units=1, pack_size=1)
    page = client.get(made.path).get_data(as_text=True)
    assert "1 unit" in page and "1 units" not in page
    with tenant_context(shop_a):
        po = get_purchase_order(made.id)
        with pytest.raises(PurchasingError, match=r"Only 1 unit of .* is left to ship"):
            record_vendor_reply(
                po,
                expected_on=None,
                carrier="ups",
                tracking_number="1Z999",
                shipped={made.line_id: 2},
                form_key="b" * 32,
            )
        db.session.rollback()


# ---------------------------------------------------------------- 6. resend keeps sent_at


def test_a_resend_keeps_the_first_send_time_and_the_page_says_so(
    client, shop_a, owner, outbox, no_csrf
):
    made = sent_stock_po(shop_a)
    first = load(shop_a, made.id).sent_at
    for version in (1, 2):
        response = client.post(f"{ADMIN}/{made.id}/resend", data={"link_version": str(version)})
        assert response.status_code == 303
    po = load(shop_a, made.id)
    assert po.sent_at == first and po.link_version == 3
    html = client.get(f"{ADMIN}/{made.id}").get_data(as_text=True)
    assert "resent 2 times (only the latest link works)" in html
    assert first.strftime("%Y-%m-%d %H:%M") in html
    assert len(sent_to(outbox, VENDOR)) == 3


# ---------------------------------------------------------------- 7. the note in plain text


def test_the_plain_text_email_carries_the_shops_note(shop_a, outbox):
    sent_stock_po(shop_a)  # the factory's draft says "Back door."
    [mail] = sent_to(outbox, VENDOR)
    text = text_of(mail)
    assert "Note from Shop A:\nBack door." in text
    assert "Back door." in html_of(mail)
