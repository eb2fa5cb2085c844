"""Fulfilment: shipments (partial, never over-shipped, once per form), carriers and their
tracking links, the customer's email, ``order_fulfilled``, digital orders fulfilled at payment,
and the order page's shipments section."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import ProductKind, ProductStatus
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.db import utcnow
from mall.extensions import db
from mall.orders import carriers, fulfilment
from mall.orders.errors import InvalidTransition, OrderError
from mall.orders.fulfilment import create_shipment
from mall.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from mall.orders.services import mark_order_paid
from mall.orders.shipment_email import send_shipment_email
from mall.shops.models import Membership, Role
from mall.signals import order_fulfilled
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.orders import place_order
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.mail import clear_outbox, sent, sent_to, text_of
from tests.support.shopping import ADDRESS, add_to_cart, fill_checkout, place, stock_shop

ORDERS = "/shop/shop-a/admin/orders"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


@pytest.fixture
def fulfilled_signals():
    """What ``order_fulfilled`` announced: (order id, shipment id, complete)."""
    seen: list[tuple[UUID, UUID | None, bool]] = []

    def receive(order, *, shipment_id, complete, **_):
        seen.append((order.id, shipment_id, complete))

    order_fulfilled.connect(receive)
    yield seen
    order_fulfilled.disconnect(receive)


def key() -> str:
    return uuid4().hex


def paid_order(shop, *, quantity: int = 3, **kw) -> SimpleNamespace:
    """A committed, paid order of ``shop`` with one line of ``quantity`` units."""
    with tenant_context(shop):
        order = place_order(shop, quantity=quantity, **kw)
        assert mark_order_paid(order, note="Paid in the test.")
        (line,) = order.lines
        made = SimpleNamespace(id=order.id, number=order.number, line_id=line.id)
        db.session.commit()
    return made


def checkout_order(client, shop, *products) -> SimpleNamespace:
    """Check out ``products`` (stocked, quantity) of ``shop`` through the pages, paid at once."""
    for stocked, quantity in products:
        assert add_to_cart(client, stocked.variant_id, quantity).status_code in (200, 303)
    response = place(client, fill_checkout(client))
    assert "/checkout/thanks/" in response.headers["Location"]
    with tenant_context(shop):
        order = db.session.scalars(sa.select(Order).order_by(Order.placed_at.desc())).first()
        return SimpleNamespace(id=order.id, status=order.status)


def load(shop, order_id) -> Order:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()


def lines_of(shop, order_id) -> list[OrderLine]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(
            db.session.scalars(
                sa.select(OrderLine)
                .where(OrderLine.order_id == order_id)
                .order_by(OrderLine.position)
            )
        )


def shipments_of(shop, order_id) -> list[Shipment]:
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
            )
        )


def events_of(shop, order_id, kind: str) -> list[OrderEvent]:
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(OrderEvent)
                .where(OrderEvent.order_id == order_id, OrderEvent.kind == kind)
                .order_by(OrderEvent.created_at, OrderEvent.id)
            )
        )


def ship(shop, order_id, quantities, *, request_key=None, commit=True, **kw) -> Shipment:
    with tenant_context(shop):
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        shipment = create_shipment(
            order,
            quantities=quantities,
            carrier=kw.pop("carrier", "ups"),
            tracking_number=kw.pop("tracking_number", "1Z999AA10123456784"),
            request_key=request_key or key(),
            actor_id=kw.pop("actor_id", None),
            **kw,
        )
        shipment_id = shipment.id
        if commit:
            db.session.commit()
    return shipment_id


# ---------------------------------------------------------------- carriers


@pytest.mark.parametrize("carrier", [c for c in carriers.CARRIERS.values() if c.template])
def test_every_carrier_links_to_its_tracking_page_over_https(carrier):
    url = carriers.tracking_url(carrier.key, "AB123456789CD")
    assert url.startswith("https://") and "AB123456789CD" in url
    assert url == carrier.template.format(number="AB123456789CD")


def test_the_common_carriers_are_there():
    names = {c.name for c in carriers.CARRIERS.values()}
    for name in ("UPS", "USPS", "FedEx", "DHL Express", "Royal Mail", "Canada Post"):
        assert name in names
    for name in ("Australia Post", "PostNL", "GLS", "DPD", "Other"):
        assert name in names
    assert carriers.carrier_choices()[-1] == ("other", "Other")
    assert carriers.tracking_url("ups", "1Z999") == "https://www.ups.com/track?tracknum=1Z999"


def test_a_number_cannot_escape_its_place_in_the_link():
    url = carriers.tracking_url("ups", "1Z/../x?y=1&z#frag")
    assert url == "https://www.ups.com/track?tracknum=1Z%2F..%2Fx%3Fy%3D1%26z%23frag"


def test_no_link_without_a_number_or_for_another_carrier():
    assert carriers.tracking_url("ups", "") == ""
    assert carriers.tracking_url("other", "123") == ""
    assert carriers.tracking_url("Speedy Couriers", "123") == ""
    assert carriers.tracking_url("other", "123", "https://track.example/123") == (
        "https://track.example/123"
    )
    # The shop's own link wins over the carrier's page.
    assert carriers.tracking_url("ups", "1Z9", " https://ups.example/x ") == "https://ups.example/x"


@pytest.mark.parametrize(
    "number", ["1Z 999", "x" * 101, "AB\x00C", "AB\tC", "AB\u200bC\u2028", "AB\nCD"]
)
def test_bad_tracking_numbers_are_refused(number):
    with pytest.raises(carriers.TrackingError):
        carriers.clean_tracking_number(number)


def test_a_tracking_number_is_stripped():
    assert carriers.clean_tracking_number("  1Z999  ") == "1Z999"
    assert carriers.clean_tracking_number("x" * 100) == "x" * 100
    assert carriers.clean_tracking_number(None) == ""


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(document.cookie)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "//evil.example/x",
        "https://",
        "https:///path",
        "https://user:secret@track.example/1",
        "https://track.example/a b",
        "https://track.example\\@evil.example/",
        "track.example/123",
        "https://track.example/" + "x" * 500,
    ],
)
def test_a_custom_link_must_be_a_web_address(link):
    with pytest.raises(carriers.TrackingError):
        carriers.clean_tracking_link(link)


def test_a_custom_link_over_http_or_https_is_kept():
    assert (
        carriers.clean_tracking_link("http://track.example/1?a=b") == "http://track.example/1?a=b"
    )
    assert carriers.clean_tracking_link("HTTPS://Track.Example/1") == "HTTPS://Track.Example/1"
    assert carriers.clean_tracking_link("  ") == ""


def test_another_carriers_name_is_kept_as_typed():
    assert carriers.clean_carrier("dhl_express") == "dhl_express"
    assert carriers.clean_carrier("  Speedy   Couriers ") == "Speedy Couriers"
    assert carriers.clean_carrier("") == "other"
    assert carriers.carrier_name("Speedy Couriers") == "Speedy Couriers"
    assert carriers.carrier_name("other") == "Other carrier"
    assert carriers.carrier_name("royal_mail") == "Royal Mail"
    with pytest.raises(carriers.TrackingError):
        carriers.clean_carrier("x" * 41)


# ---------------------------------------------------------------- shipments (services)


def test_partial_shipments_then_the_last_one_fulfils_the_order(shop_a, outbox, fulfilled_signals):
    order = paid_order(shop_a, quantity=3)

    first = ship(shop_a, order.id, {order.line_id: 2}, carrier="dhl_express", tracking_number="JD1")
    partial = load(shop_a, order.id)
    assert partial.status is OrderStatus.PARTIALLY_FULFILLED and partial.fulfilled_at is None
    assert lines_of(shop_a, order.id)[0].quantity_shipped == 2

    second = ship(shop_a, order.id, {order.line_id: 1}, carrier="royal_mail", tracking_number="RM1")
    done = load(shop_a, order.id)
    assert done.status is OrderStatus.FULFILLED and done.fulfilled_at is not None
    assert lines_of(shop_a, order.id)[0].quantity_shipped == 3
    assert fulfilled_signals == [(order.id, first, False), (order.id, second, True)]
    messages = [e.message for e in events_of(shop_a, order.id, "shipped")]
    assert messages == [
        "Shipped 2 items with DHL Express, tracking JD1.",
        "Shipped 1 item with Royal Mail, tracking RM1.",
    ]
    with tenant_context(shop_a):
        rows = db.session.scalars(sa.select(ShipmentLine).order_by(ShipmentLine.quantity)).all()
        assert [(r.shipment_id, r.quantity) for r in rows] == [(second, 1), (first, 2)]
        stored = db.session.get(Shipment, (shop_a.id, first))
        assert stored.tracking_url.endswith("tracking-id=JD1")
        assert stored.customer_notified_at is not None


def test_over_shipping_is_refused_naming_the_line_and_what_is_left(shop_a):
    order = paid_order(shop_a, quantity=3)
    ship(shop_a, order.id, {order.line_id: 2})

    with pytest.raises(
        OrderError,
        match=r"Only 1 of “Teapot ORD-\w+” left to ship \(ordered 3, "
        r"shipped 2\), not 2\.",
    ):
        ship(shop_a, order.id, {order.line_id: 2})
    db.session.rollback()
    assert lines_of(shop_a, order.id)[0].quantity_shipped == 2
    assert len(shipments_of(shop_a, order.id)) == 1


def test_refunded_units_are_not_left_to_ship(shop_a):
    order = paid_order(shop_a, quantity=3)
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(OrderLine).where(OrderLine.id == order.line_id).values(quantity_refunded=2)
        )
        db.session.commit()
    with pytest.raises(OrderError, match=r"Only 1 .* \(ordered 3, shipped 0, refunded 2\)"):
        ship(shop_a, order.id, {order.line_id: 2})
    db.session.rollback()
    ship(shop_a, order.id, {order.line_id: 1})
    assert load(shop_a, order.id).status is OrderStatus.FULFILLED


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ("nothing", "Choose at least one item to ship."),
        ("zero", "Choose at least one item to ship."),
        ("other", "is not part of order"),
        (-1, "as a whole number"),
    ],
)
def test_a_shipment_needs_units_of_this_orders_lines(shop_a, quantities, message):
    order = paid_order(shop_a)
    wanted = {
        "nothing": {},
        "zero": {order.line_id: 0},
        "other": {uuid4(): 1},
        -1: {order.line_id: -1},
    }[quantities]
    with pytest.raises(OrderError, match=message):
        ship(shop_a, order.id, wanted)
    db.session.rollback()
    assert shipments_of(shop_a, order.id) == []


def test_the_same_request_key_makes_one_shipment(shop_a, outbox, fulfilled_signals):
    order = paid_order(shop_a, quantity=3)
    request_key = key()
    first = ship(shop_a, order.id, {order.line_id: 3}, request_key=request_key)
    # The order is fulfilled now, yet the repeat answers with the first shipment.
    again = ship(shop_a, order.id, {order.line_id: 3}, request_key=request_key)
    assert again == first
    assert len(shipments_of(shop_a, order.id)) == 1
    assert len(events_of(shop_a, order.id, "shipped")) == 1
    assert len(fulfilled_signals) == 1
    assert len(sent(outbox)) == 1


def test_a_request_key_of_another_order_is_refused(shop_a):
    one, two = paid_order(shop_a), paid_order(shop_a)
    request_key = key()
    ship(shop_a, one.id, {one.line_id: 1}, request_key=request_key)
    with pytest.raises(OrderError, match="used for another order"):
        ship(shop_a, two.id, {two.line_id: 1}, request_key=request_key)
    db.session.rollback()
    with pytest.raises(OrderError, match="expired"):
        ship(shop_a, two.id, {two.line_id: 1}, request_key="short")


def test_only_a_paid_order_ships(shop_a):
    with tenant_context(shop_a):
        waiting = place_order(shop_a)
        waiting_id, line_id = waiting.id, waiting.lines[0].id
        db.session.commit()
    with pytest.raises(InvalidTransition, match="is awaiting payment: only a paid order"):
        ship(shop_a, waiting_id, {line_id: 1})
    db.session.rollback()

    done = paid_order(shop_a, quantity=1)
    ship(shop_a, done.id, {done.line_id: 1})
    with pytest.raises(InvalidTransition, match="is fulfilled: everything has shipped"):
        ship(shop_a, done.id, {done.line_id: 1})
    db.session.rollback()


def test_the_shipping_date_is_not_in_the_future_nor_before_the_order(shop_a):
    order = paid_order(shop_a)
    with pytest.raises(OrderError, match="cannot be in the future"):
        ship(shop_a, order.id, {order.line_id: 1}, shipped_at=utcnow() + timedelta(days=3))
    db.session.rollback()
    with pytest.raises(OrderError, match="cannot have shipped before"):
        ship(shop_a, order.id, {order.line_id: 1}, shipped_at=utcnow() - timedelta(days=3))
    db.session.rollback()
    # Earlier today, never before midnight: the order was placed today (UTC), and a parcel
    # cannot have left the day before (the test once failed in the first hour after midnight).
    now = utcnow()
    earlier = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    shipment_id = ship(shop_a, order.id, {order.line_id: 1}, shipped_at=earlier)
    with tenant_context(shop_a):
        assert db.session.get(Shipment, (shop_a.id, shipment_id)).shipped_at == earlier


def test_a_javascript_link_never_reaches_a_shipment(shop_a):
    order = paid_order(shop_a)
    with pytest.raises(carriers.TrackingError):
        ship(shop_a, order.id, {order.line_id: 1}, tracking_url="javascript:alert(1)")
    db.session.rollback()
    assert shipments_of(shop_a, order.id) == []


def test_another_carrier_with_its_own_link(shop_a):
    order = paid_order(shop_a)
    shipment_id = ship(
        shop_a,
        order.id,
        {order.line_id: 1},
        carrier="Speedy Couriers",
        tracking_number="SC-1",
        tracking_url="https://speedy.example/t/SC-1",
    )
    with tenant_context(shop_a):
        shipment = db.session.get(Shipment, (shop_a.id, shipment_id))
        assert shipment.carrier == "Speedy Couriers"
        assert shipment.tracking_url == "https://speedy.example/t/SC-1"
    assert (
        "with Speedy Couriers, tracking SC-1" in events_of(shop_a, order.id, "shipped")[0].message
    )


# ---------------------------------------------------------------- the customer's email


def test_the_customer_is_emailed_the_items_and_the_tracking_link(shop_a, outbox):
    order = paid_order(shop_a, quantity=3)
    ship(shop_a, order.id, {order.line_id: 2}, carrier="usps", tracking_number="9400100000000")

    (message,) = sent_to(outbox, "carol@example.com")
    assert message["Subject"] == f"Part of your order {order.number} from Shop A has shipped"
    body = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    link = "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000"
    assert link in body and f'href="{link}"' in html
    assert re.search(r"2 \u00d7 Teapot ORD-\w+", body) and "USPS" in body
    assert re.search(r"Still to come:\s+- 1 \u00d7 Teapot", body)
    for text in (body, html):
        assert "Elm Street" not in text and "Carol Customer" not in text

    clear_outbox(outbox)
    ship(shop_a, order.id, {order.line_id: 1}, carrier="other", tracking_number="")
    (last,) = sent(outbox)
    assert last["Subject"] == f"Your order {order.number} from Shop A has shipped"
    assert "gave no tracking number" in text_of(last) and "Still to come" not in text_of(last)


def test_the_email_job_sends_once_and_skips_what_is_gone(app, shop_a, outbox):
    order = paid_order(shop_a)
    shipment_id = ship(shop_a, order.id, {order.line_id: 1})
    assert len(sent(outbox)) == 1
    send_shipment_email(str(shop_a.id), str(shipment_id))  # a retried job
    send_shipment_email(str(shop_a.id), str(uuid4()))
    send_shipment_email(str(uuid4()), str(shipment_id))
    db.session.rollback()
    assert len(sent(outbox)) == 1


def test_the_job_gets_ids_only(app, shop_a, monkeypatch):
    queued = []
    monkeypatch.setattr(
        fulfilment, "enqueue_after_commit", lambda func, *args: queued.append((func, args))
    )
    order = paid_order(shop_a)
    shipment_id = ship(shop_a, order.id, {order.line_id: 1})
    assert queued == [(send_shipment_email, (str(shop_a.id), str(shipment_id)))]


# ---------------------------------------------------------------- digital orders


def digital_product(shop, title: str = "Serif Font"):
    with tenant_context(shop):
        token = uuid4().hex[:6]
        product = create_product(
            ProductInput(
                title=title,
                slug=f"font-{token}",
                kind=ProductKind.DIGITAL,
                status=ProductStatus.PUBLISHED,
                variants=[VariantInput(sku=f"FONT-{token}", price=2500, track_stock=False)],
            )
        )
        found = SimpleNamespace(variant_id=product.variants[0].id)
        db.session.commit()
    return found


def test_a_digital_order_is_fulfilled_when_paid(client, shop_a, no_csrf, fulfilled_signals):
    font = digital_product(shop_a)
    add_to_cart(client, font.variant_id)
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    client.post("/checkout/address", data=ADDRESS)
    client.post("/checkout/payment", data={"method": "test"})
    place(client, client.get("/checkout/review").get_data(as_text=True))
    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        assert order.status is OrderStatus.FULFILLED
        assert order.fulfilled_at is not None and order.paid_at is not None
        order_id = order.id
    assert fulfilled_signals == [(order_id, None, True)]
    assert [e.message for e in events_of(shop_a, order_id, "fulfilled")] == [
        "Fulfilled at payment: nothing to ship."
    ]


def test_a_mixed_order_waits_for_its_parcel(client, shop_a, no_csrf, fulfilled_signals):
    font = digital_product(shop_a)
    lamp = stock_shop(shop_a, quantity=4)
    order = checkout_order(client, shop_a, (font, 1), (lamp, 2))
    assert order.status is OrderStatus.PAID and fulfilled_signals == []
    lines = {line.requires_shipping: line.id for line in lines_of(shop_a, order.id)}

    with pytest.raises(OrderError, match="is not shipped: it is a digital item"):
        ship(shop_a, order.id, {lines[False]: 1})
    db.session.rollback()
    ship(shop_a, order.id, {lines[True]: 2})
    assert load(shop_a, order.id).status is OrderStatus.FULFILLED


def test_fulfil_digital_leaves_orders_that_ship_alone(shop_a):
    order = paid_order(shop_a)
    with tenant_context(shop_a):
        found = db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()
        assert fulfilment.fulfil_digital(found) is False
        assert found.status is OrderStatus.PAID


def test_refunding_what_was_left_completes_a_partial_order(shop_a, fulfilled_signals):
    order = paid_order(shop_a, quantity=3)
    ship(shop_a, order.id, {order.line_id: 2})
    with tenant_context(shop_a):
        found = db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()
        assert fulfilment.complete_if_nothing_left(found) is False
        db.session.execute(
            sa.update(OrderLine).where(OrderLine.id == order.line_id).values(quantity_refunded=1)
        )
        assert fulfilment.complete_if_nothing_left(found) is True
        assert fulfilment.complete_if_nothing_left(found) is False
        assert found.status is OrderStatus.FULFILLED
        db.session.commit()
    assert fulfilled_signals[-1] == (order.id, None, True)


# ---------------------------------------------------------------- the order page


def qty(line_id: UUID) -> str:
    """The shipment form's field of an order line's units."""
    return f"ship-qty_{line_id.hex}"


def form_of(html: str) -> dict[str, str]:
    """The shipment form's fields as the page filled them in (the carrier: UPS)."""
    start = re.search(r'<form[^>]*action="[^"]*/shipments"', html).start()
    form = html[start : html.index("</form>", start)]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    assert '<option selected value="ups">' in form
    fields["ship-carrier"] = "ups"
    return fields


def test_the_order_page_records_a_shipment(client, shop_a, member_of_a, no_csrf, outbox):
    order = paid_order(shop_a, quantity=3)
    page = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "Record a shipment" in page and "Left to ship: 3 of 3." in page
    fields = form_of(page)
    assert fields[qty(order.line_id)] == "3"  # all that is left, by default
    assert fields["ship-shipped_on"] == utcnow().date().isoformat()

    fields.update({qty(order.line_id): "2", "ship-tracking_number": "1ZABC"})
    response = client.post(f"{ORDERS}/{order.id}/shipments", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/orders/{order.id}#shipments")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Shipment recorded: 2 items with UPS." in page
    assert 'href="https://www.ups.com/track?tracknum=1ZABC"' in page
    assert "Partially fulfilled" in page and "Left to ship: 1 of 3." in page
    assert "Shipped 2 items with UPS, tracking 1ZABC." in page and "by Member A" in page
    assert events_of(shop_a, order.id, "shipped")[0].actor_id == member_of_a.id

    # The same rendered form again (a double click): nothing more.
    again = client.post(f"{ORDERS}/{order.id}/shipments", data=fields, follow_redirects=True)
    assert "already recorded (2 items with UPS): nothing changed" in again.get_data(as_text=True)
    assert len(shipments_of(shop_a, order.id)) == 1
    assert len(sent(outbox)) == 1


def test_a_double_submit_of_the_last_parcel_says_it_was_recorded(
    client, shop_a, member_of_a, no_csrf
):
    order = paid_order(shop_a, quantity=1)
    fields = form_of(client.get(f"{ORDERS}/{order.id}").get_data(as_text=True))
    assert client.post(f"{ORDERS}/{order.id}/shipments", data=fields).status_code == 303
    again = client.post(f"{ORDERS}/{order.id}/shipments", data=fields, follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "already recorded (1 item with UPS)" in html
    assert "Record a shipment" not in html  # fulfilled: nothing left to ship
    assert len(shipments_of(shop_a, order.id)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracking_link": "javascript:alert(1)"}, "starting with https://"),
        ({"tracking_number": "1Z 999"}, "without spaces"),
        ({"QTY": "4"}, "Only 3 left to ship."),
        ({"QTY": "two"}, "Enter a whole number of units, from 0 to 3."),
        ({"QTY": "-1"}, "Enter a whole number of units, from 0 to 3."),
        ({"QTY": "0"}, "Choose at least one item to ship."),
        ({"shipped_on": "yesterday"}, "Enter the date it shipped, like 2026-11-29."),
        ({"shipped_on": "2099-01-01"}, "cannot be in the future"),
        ({"shipped_on": "2001-01-01"}, "it cannot have shipped before"),
        ({"carrier": "pigeon"}, "Choose a carrier from the list."),
        ({"carrier": "other", "other_carrier": "x" * 41}, "at most 40 characters"),
        ({"request_key": ""}, "This form had expired: check the details"),
        ({"request_key": "x" * 65}, "This form had expired: check the details"),
    ],
)
def test_bad_input_is_shown_again_with_what_was_typed(
    client, shop_a, member_of_a, no_csrf, changes, message
):
    order = paid_order(shop_a, quantity=3)
    fields = form_of(client.get(f"{ORDERS}/{order.id}").get_data(as_text=True))
    fields["ship-tracking_number"] = "TYPED123"
    for name, value in changes.items():
        fields[qty(order.line_id) if name == "QTY" else f"ship-{name}"] = value
    response = client.post(f"{ORDERS}/{order.id}/shipments", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    typed = changes.get("tracking_number", "TYPED123")
    assert f'value="{typed}"' in html
    assert shipments_of(shop_a, order.id) == []
    assert load(shop_a, order.id).status is OrderStatus.PAID
    assert re.search(r'name="ship-request_key" type="hidden" value="[\w-]{16,}"', html)


def test_a_javascript_link_is_never_a_link_on_the_page(client, shop_a, member_of_a, no_csrf):
    order = paid_order(shop_a)
    fields = form_of(client.get(f"{ORDERS}/{order.id}").get_data(as_text=True))
    fields["ship-tracking_link"] = "javascript:alert(1)"
    html = client.post(f"{ORDERS}/{order.id}/shipments", data=fields).get_data(as_text=True)
    assert 'href="javascript:' not in html


def test_an_order_that_cannot_ship_says_why(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        waiting = place_order(shop_a)
        order_id, line_id, number = waiting.id, waiting.lines[0].id, waiting.number
        db.session.commit()
    page = client.get(f"{ORDERS}/{order_id}").get_data(as_text=True)
    assert "Record a shipment" not in page
    response = client.post(
        f"{ORDERS}/{order_id}/shipments",
        data={qty(line_id): "1", "ship-carrier": "ups", "ship-request_key": key()},
        follow_redirects=True,
    )
    assert f"Order {number} is awaiting payment: only a paid order can be shipped." in (
        response.get_data(as_text=True)
    )
    assert shipments_of(shop_a, order_id) == []


def test_a_sales_rep_sees_shipments_but_may_not_record_one(
    client, shop_a, make_user, sign_in, no_csrf
):
    rep = make_user("rep@example.com", name="Rita Rep")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    order = paid_order(shop_a, quantity=2)
    ship(shop_a, order.id, {order.line_id: 1}, tracking_number="SEEN1")

    page = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "SEEN1" in page and "Record a shipment" not in page
    response = client.post(
        f"{ORDERS}/{order.id}/shipments",
        data={qty(order.line_id): "1", "ship-carrier": "ups", "ship-request_key": key()},
    )
    assert response.status_code == 403
    assert len(shipments_of(shop_a, order.id)) == 1


def test_another_shops_order_is_not_found_on_any_shipment_route(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    theirs = paid_order(shop_b)
    data = {qty(theirs.line_id): "1", "ship-carrier": "ups", "ship-request_key": key()}
    assert client.get(f"{ORDERS}/{theirs.id}/shipments").status_code == 404
    assert client.post(f"{ORDERS}/{theirs.id}/shipments", data=data).status_code == 404
    assert client.post(
        f"/shop/shop-b/admin/orders/{theirs.id}/shipments", data=data
    ).status_code in (
        403,
        404,
    )
    assert shipments_of(shop_b, theirs.id) == []


def test_the_shipments_link_leads_to_the_order_page(client, shop_a, member_of_a):
    order = paid_order(shop_a)
    response = client.get(f"{ORDERS}/{order.id}/shipments")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/orders/{order.id}#shipments")


def test_the_form_needs_the_csrf_token(client, shop_a, member_of_a):
    order = paid_order(shop_a)
    data = {qty(order.line_id): "1", "ship-carrier": "ups", "ship-request_key": key()}
    assert client.post(f"{ORDERS}/{order.id}/shipments", data=data).status_code == 400
    assert shipments_of(shop_a, order.id) == []


def test_the_order_page_costs_the_same_queries_for_one_shipment_or_five(
    client, shop_a, member_of_a, count_queries
):
    order = paid_order(shop_a, quantity=6)
    ship(shop_a, order.id, {order.line_id: 1})
    with count_queries() as one:
        assert client.get(f"{ORDERS}/{order.id}").status_code == 200
    for n in range(4):
        ship(shop_a, order.id, {order.line_id: 1}, tracking_number=f"N{n}")
    with count_queries() as five:
        html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "N3" in html and "Left to ship: 1 of 6." in html
    assert five.count == one.count


# ---------------------------------------------------------------- concurrency (PostgreSQL)

committed_app = committed_app_fixture()


def committed_paid_order(app, slug: str, quantity: int) -> tuple[UUID, UUID, UUID]:
    """(shop id, order id, line id) of a paid order of a new shop, committed."""
    with app.app_context():
        shop = create_shop(slug, name=slug.title(), status=TenantStatus.ACTIVE)
        db.session.commit()
        with tenant_context(shop):
            order = place_order(shop, quantity=quantity)
            assert mark_order_paid(order)
            ids = (shop.id, order.id, order.lines[0].id)
            db.session.commit()
    return ids


def shippers_race(app, ids, *, units: int, keys: list[str]) -> list[UUID | str]:
    """One thread per key ships ``units`` of the line at the same moment; what each got."""
    shop_id, order_id, line_id = ids
    ready = threading.Barrier(len(keys))
    outcomes: list[UUID | str] = []
    errors: list[BaseException] = []

    def shipper(request_key: str) -> None:
        with app.app_context(), tenant_context(shop_id):
            try:
                order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
                ready.wait(timeout=60)
                shipment = create_shipment(
                    order,
                    quantities={line_id: units},
                    carrier="ups",
                    tracking_number=request_key[:12],
                    request_key=request_key,
                    actor_id=None,
                )
                shipment_id = shipment.id
                db.session.commit()
                outcomes.append(shipment_id)
            except OrderError as refused:
                db.session.rollback()
                outcomes.append(str(refused))
            except BaseException as error:  # surfaced below
                errors.append(error)
                ready.abort()

    threads = [threading.Thread(target=shipper, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


def shipped_state(app, ids) -> tuple[OrderStatus, int, int, int]:
    """(status, line's quantity_shipped, units in shipment lines, shipments) as committed."""
    shop_id, order_id, line_id = ids
    with app.app_context(), tenant_context(shop_id):
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        line = db.session.scalars(sa.select(OrderLine).where(OrderLine.id == line_id)).one()
        units = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ShipmentLine.quantity), 0)).where(
                ShipmentLine.order_line_id == line_id
            )
        )
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Shipment).where(Shipment.order_id == order_id)
        )
        return order.status, line.quantity_shipped, units, count


@needs_committed_pg
def test_concurrent_parcels_never_ship_more_than_was_ordered(committed_app):
    ids = committed_paid_order(committed_app, "race-one-each", quantity=5)
    outcomes = shippers_race(committed_app, ids, units=1, keys=[key() for _ in range(8)])
    shipped = [o for o in outcomes if isinstance(o, UUID)]
    assert len(shipped) == 5
    refusals = [o for o in outcomes if isinstance(o, str)]
    assert all("everything has shipped" in o or "Nothing of" in o for o in refusals)
    assert shipped_state(committed_app, ids) == (OrderStatus.FULFILLED, 5, 5, 5)


@needs_committed_pg
def test_concurrent_parcels_of_two_units_stop_at_what_is_left(committed_app):
    ids = committed_paid_order(committed_app, "race-two-each", quantity=5)
    outcomes = shippers_race(committed_app, ids, units=2, keys=[key() for _ in range(6)])
    assert len([o for o in outcomes if isinstance(o, UUID)]) == 2
    assert all("Only 1 of" in o for o in outcomes if isinstance(o, str))
    assert shipped_state(committed_app, ids) == (OrderStatus.PARTIALLY_FULFILLED, 4, 4, 2)


@needs_committed_pg
def test_one_form_sent_six_times_at_once_makes_one_shipment(committed_app):
    ids = committed_paid_order(committed_app, "race-same-form", quantity=5)
    request_key = key()
    outcomes = shippers_race(committed_app, ids, units=1, keys=[request_key] * 6)
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], UUID)
    assert shipped_state(committed_app, ids) == (OrderStatus.PARTIALLY_FULFILLED, 1, 1, 1)


@pytest.mark.parametrize(
    "typed",
    ['https://x"><script>alert(1)</script>', "https://localhost/track", "https://-bad-.com/x"],
)
def test_a_tracking_link_must_name_a_real_host(typed):
    with pytest.raises(carriers.TrackingError):
        carriers.clean_tracking_link(typed)
    assert carriers.clean_tracking_link("https://track.example.com/p/1?x=2") == (
        "https://track.example.com/p/1?x=2"
    )


@pytest.mark.parametrize("number", ["<script>alert(1)</script>", "1Z/../x", "AB.C", "ÄB12"])
def test_a_typed_number_is_letters_digits_and_hyphens(number):
    with pytest.raises(carriers.TrackingError, match="letters, digits and hyphens"):
        carriers.clean_tracking_number(number)
    assert carriers.clean_tracking_number(" 1Z999AA1-0123 ") == "1Z999AA1-0123"
