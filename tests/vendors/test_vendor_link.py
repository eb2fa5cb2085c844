"""The vendor link: a signed, 30-day link to one PO (no account) that opens only that PO in its
shop, shows the vendor only its own lines (and, drop-ship, the customer's address), and takes
the vendor's confirmation, expected date, carrier, tracking and the parcel's units."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from mall.extensions import db
from mall.orders.models import Order, OrderStatus, Shipment
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_link, tracking_token
from tenants.context import tenant_context
from tests.crawl.vendor_link import make_variant, make_vendor, place_lines_order, supply
from vendors.models import PurchaseOrder, PurchaseOrderLine, PurchaseStatus
from vendors.purchasing.services import PoLineInput, create_purchase_order, send_purchase_order
from vendors.vendor_link import tokens


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def form_key(html: str) -> str:
    return re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', html).group(1)


def drop_ship_order(shop, *, quantities=(3, 1), email="carol@example.com", name="Carol Customer"):
    """A paid order of ``shop`` whose lamp is drop-shipped by Acme and vase by Zenith; the POs'
    ids and links, the order's tracking path."""
    from mall.accounts.addresses import PostalAddress

    with tenant_context(shop):
        acme, zenith = make_vendor("Acme Supplies"), make_vendor("Zenith Goods")
        lamp, vase = make_variant(title="Brass lamp"), make_variant(title="Glass vase")
        supply(acme, lamp, vendor_sku="ACME-LAMP")
        supply(zenith, vase, vendor_sku="ZEN-VASE")
        address = PostalAddress(
            name=name, line1="12 Elm Street", city="Springfield", postal_code="62701", country="US"
        )
        order = place_lines_order(
            shop, [(lamp, quantities[0]), (vase, quantities[1])], email=email, address=address
        )
        assert mark_order_paid(order)
        db.session.flush()
        acme_po, zenith_po = db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.order_id == order.id)
            .order_by(PurchaseOrder.number)
        ).all()
        made = SimpleNamespace(
            order_id=order.id,
            acme_id=acme_po.id,
            zenith_id=zenith_po.id,
            acme_line=acme_po.lines[0].id,
            acme_path=path_of(tokens.vendor_link_url(acme_po)),
            zenith_path=path_of(tokens.vendor_link_url(zenith_po)),
            tracking_path=path_of(tracking_link(order)),
        )
        db.session.commit()
    return made


def stock_po(shop, *, note="Deliver to the back door."):
    """A sent PO of ``shop`` for its stock (not drop-ship): its id and vendor link path."""
    with tenant_context(shop):
        vendor, variant = make_vendor("Brick Co"), make_variant(title="Red brick")
        supply(vendor, variant, drop_ship=False, vendor_sku="BRK-1")
        po = create_purchase_order(
            vendor, lines=[PoLineInput(variant.id, 4)], actor_id=None, note=note
        )
        send_purchase_order(po, actor_id=None)
        made = SimpleNamespace(id=po.id, path=path_of(tokens.vendor_link_url(po)))
        db.session.commit()
    return made


def load_po(shop, po_id) -> PurchaseOrder:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.get(PurchaseOrder, (shop.id, po_id))


# ---------------------------------------------------------------- the link


def test_the_page_shows_the_po_privately(client, shop_a):
    made = stock_po(shop_a)
    assert made.path.startswith("/vendor/po/")
    response = client.get(made.path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Shop A" in html and "-PO-1" in html and "BRK-1" in html and "Red brick" in html
    assert "Deliver to the back door." in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Ship to" not in html  # a stock PO has no customer's address
    pdf = client.get(f"{made.path}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert 'filename="SHOPA-PO-1.pdf"' in pdf.headers["Content-Disposition"]


def test_a_token_opens_exactly_its_po_in_its_shop(app_ctx, shop_a, shop_b):
    made = stock_po(shop_a)
    token = made.path.rsplit("/", 1)[1]
    po = tokens.po_from_token(token)
    assert (po.tenant_id, po.id) == (shop_a.id, made.id)
    shop, po_id, version = tokens.read_po_token(token)
    assert (shop, po_id, version) == (shop_a.id, made.id, 1)
    # The same PO id signed under shop B's id opens nothing.
    forged = tokens._serializer().dumps({"t": shop_b.id.hex, "p": made.id.hex, "v": 1})
    assert tokens.po_from_token(forged) is None


def test_tampered_wrong_salt_and_unknown_tokens_are_404(client, shop_a):
    made = stock_po(shop_a)
    token = made.path.rsplit("/", 1)[1]
    with tenant_context(shop_a):
        order_token = tracking_token(
            db.session.scalars(sa.select(Order).limit(1)).first()
            or SimpleNamespace(tenant_id=shop_a.id, id=uuid4(), tracking_version=1)
        )
    for bad in (token[:-2] + "xx", "nonsense", order_token, "a" * 400, token + "x"):
        assert client.get(f"/vendor/po/{bad}").status_code == 404, bad
    unknown = tokens._serializer().dumps({"t": shop_a.id.hex, "p": uuid4().hex, "v": 1})
    assert client.get(f"/vendor/po/{unknown}").status_code == 404


def test_a_resent_po_ends_the_old_link(client, shop_a):
    made = stock_po(shop_a)
    with tenant_context(shop_a):
        po = db.session.get(PurchaseOrder, (shop_a.id, made.id))
        assert send_purchase_order(po, actor_id=None, link_version=1)
        new_path = path_of(tokens.vendor_link_url(po))
        db.session.commit()
    assert client.get(made.path).status_code == 404
    assert client.get(f"{made.path}.pdf").status_code == 404
    assert client.get(new_path).status_code == 200


def test_an_expired_link_says_so(client, shop_a, monkeypatch):
    made = stock_po(shop_a)
    with tenant_context(shop_a):
        po = db.session.get(PurchaseOrder, (shop_a.id, made.id))
        past = int(time.time()) - int(tokens.MAX_AGE.total_seconds()) - 60
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: past)
        old_path = path_of(tokens.vendor_link_url(po))
        monkeypatch.undo()
    response = client.get(old_path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert "Brick" not in response.get_data(as_text=True)
    assert client.post(old_path, data={}).status_code in (400, 410)


def test_a_cancelled_po_link_is_404(client, shop_a):
    made = stock_po(shop_a)
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.id == made.id)
            .values(status=PurchaseStatus.CANCELLED)
        )
        db.session.commit()
    assert client.get(made.path).status_code == 404


def test_another_shops_host_serves_no_link(client, shop_a, shop_b):
    made = stock_po(shop_a)
    assert client.get(made.path, headers={"Host": "shop-b.mall.test"}).status_code == 404


def test_the_vendor_sees_only_its_po_of_a_two_vendor_order(client, shop_a):
    other = drop_ship_order(shop_a, email="dave@example.com", name="Dave Other")
    made = drop_ship_order(shop_a)
    html = client.get(made.acme_path).get_data(as_text=True)
    assert "ACME-LAMP" in html and "Brass lamp" in html
    assert "Carol Customer" in html and "12 Elm Street" in html
    # Not the other vendor's line, nor another customer, nor the customer's email.
    assert "ZEN-VASE" not in html and "Glass vase" not in html
    assert "Dave Other" not in html and "carol@example.com" not in html
    assert other.acme_path != made.acme_path
    zenith = client.get(made.zenith_path).get_data(as_text=True)
    assert "ZEN-VASE" in zenith and "ACME-LAMP" not in zenith


def test_the_page_reads_a_bounded_number_of_rows(client, shop_a, count_queries):
    made = drop_ship_order(shop_a)
    client.get(made.acme_path)
    with count_queries() as few:
        assert client.get(made.acme_path).status_code == 200
    with tenant_context(shop_a):
        po = db.session.get(PurchaseOrder, (shop_a.id, made.acme_id))
        for position in range(1, 6):
            line = po.lines[0]
            db.session.add(
                PurchaseOrderLine(
                    po_id=po.id,
                    position=position,
                    variant_id=line.variant_id,
                    description=f"Extra {position}",
                    unit_cost=100,
                    quantity_ordered=1,
                    order_line_id=line.order_line_id,
                )
            )
        db.session.commit()
    with count_queries() as many:
        assert client.get(made.acme_path).status_code == 200
    assert many.count == few.count


# ---------------------------------------------------------------- the vendor's answers


def test_confirming_sets_the_details_once(client, shop_a, no_csrf):
    made = stock_po(shop_a)
    key = form_key(client.get(made.path).get_data(as_text=True))
    data = {
        "key": key,
        "expected_on": "2099-01-01",
        "carrier": "dhl_express",
        "tracking_number": "",
    }
    response = client.post(made.path, data=data)
    assert response.status_code == 422  # a year ahead at most
    assert "within a year" in response.get_data(as_text=True)
    assert 'value="2099-01-01"' in response.get_data(as_text=True)
    data["expected_on"] = ""
    response = client.post(made.path, data=data)
    assert response.status_code == 303
    first = load_po(shop_a, made.id).vendor_confirmed_at
    assert first is not None and load_po(shop_a, made.id).carrier == "dhl_express"
    assert "is confirmed" in client.get(made.path).get_data(as_text=True)
    # Again with a date: the confirmation stays as it was, the date is kept.
    page = client.get(made.path).get_data(as_text=True)
    today = load_po(shop_a, made.id).created_at.date().isoformat()
    data.update(key=form_key(page), expected_on=today, tracking_number="JD014600006281234567")
    assert client.post(made.path, data=data).status_code == 303
    po = load_po(shop_a, made.id)
    assert po.vendor_confirmed_at == first and po.expected_on.isoformat() == today
    assert po.tracking_number == "JD014600006281234567"


def test_a_stock_po_has_no_parcel_fields(client, shop_a, no_csrf):
    made = stock_po(shop_a)
    html = client.get(made.path).get_data(as_text=True)
    assert "shipped now" not in html


def test_bad_input_is_shown_again_at_its_field(client, shop_a, no_csrf):
    made = drop_ship_order(shop_a)
    page = client.get(made.acme_path).get_data(as_text=True)
    field = f"shipped_{made.acme_line.hex}"
    for typed, message in (
        ("99999999999999999999999", "Enter a whole number of units"),
        ("4", "Only 3 left to ship on this line."),
        ("-1", "Enter a whole number of units"),
        ("two", "Enter a whole number of units"),
    ):
        response = client.post(
            made.acme_path,
            data={"key": form_key(page), field: typed, "carrier": "ups", "tracking_number": "1Z1"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422, typed
        assert message in html and f'value="{typed}"' in html
    # A parcel needs its carrier and tracking number.
    response = client.post(made.acme_path, data={"key": form_key(page), field: "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the carrier" in html and "tracking number: the customer follows it" in html
    # A NUL byte is refused before any form sees it.
    response = client.post(
        made.acme_path, data={"key": form_key(page), "tracking_number": "1Z\x001"}
    )
    assert response.status_code == 400
    assert load_po(shop_a, made.acme_id).vendor_confirmed_at is None


def test_a_form_without_its_csrf_token_is_refused(client, shop_a):
    made = stock_po(shop_a)
    page = client.get(made.path).get_data(as_text=True)
    response = client.post(made.path, data={"key": form_key(page)})
    assert response.status_code == 400
    assert load_po(shop_a, made.id).vendor_confirmed_at is None


def test_the_vendors_partial_parcel_reaches_the_customers_tracking_page(client, shop_a, no_csrf):
    made = drop_ship_order(shop_a)
    page = client.get(made.acme_path).get_data(as_text=True)
    data = {
        "key": form_key(page),
        f"shipped_{made.acme_line.hex}": "2",
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
    }
    response = client.post(made.acme_path, data=data)
    assert response.status_code == 303
    assert "Shipment recorded: 2 items with UPS" in client.get(made.acme_path).get_data(
        as_text=True
    )
    # The same form again (a double click): one shipment.
    again = client.post(made.acme_path, data=data)
    assert again.status_code == 303
    assert "already recorded" in client.get(made.acme_path).get_data(as_text=True)
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
        order = db.session.get(Order, (shop_a.id, made.order_id))
        assert order.status is OrderStatus.PARTIALLY_FULFILLED
    assert load_po(shop_a, made.acme_id).status is PurchaseStatus.PARTIALLY_RECEIVED
    tracking = client.get(made.tracking_path).get_data(as_text=True)
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in tracking
    # The vendor now may send only the 1 left; more is refused at the field.
    page = client.get(made.acme_path).get_data(as_text=True)
    data["key"] = form_key(page)
    response = client.post(made.acme_path, data=data)
    assert response.status_code == 422
    assert "Only 1 left to ship on this line." in response.get_data(as_text=True)


def test_a_refusal_from_the_service_keeps_what_was_typed(client, shop_a, no_csrf):
    made = drop_ship_order(shop_a)
    page = client.get(made.acme_path).get_data(as_text=True)
    with tenant_context(shop_a):  # the shop refunds and cancels meanwhile
        db.session.execute(
            sa.update(Order).where(Order.id == made.order_id).values(status=OrderStatus.CANCELLED)
        )
        db.session.commit()
    response = client.post(
        made.acme_path,
        data={
            "key": form_key(page),
            f"shipped_{made.acme_line.hex}": "1",
            "carrier": "ups",
            "tracking_number": "1Z999AA10123456784",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "only a paid order can be shipped" in html and 'value="1Z999AA10123456784"' in html
    assert load_po(shop_a, made.acme_id).vendor_confirmed_at is None


def test_the_vendors_posts_are_rate_limited(client, shop_a, no_csrf):
    made = stock_po(shop_a)
    statuses = [client.post(made.path, data={"key": "x"}).status_code for _ in range(11)]
    assert statuses[:10] == [303] * 10 and statuses[10] == 429


def test_a_closed_po_is_shown_read_only(client, shop_a, no_csrf):
    made = stock_po(shop_a)
    page = client.get(made.path).get_data(as_text=True)
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.id == made.id)
            .values(status=PurchaseStatus.CLOSED)
        )
        db.session.commit()
    html = client.get(made.path).get_data(as_text=True)
    assert "nothing more is expected on it" in html and "<form" not in html.split("<main")[1]
    response = client.post(made.path, data={"key": form_key(page), "carrier": "ups"})
    assert response.status_code == 303
    assert "nothing can change" in client.get(made.path).get_data(as_text=True)
    assert load_po(shop_a, made.id).vendor_confirmed_at is None
