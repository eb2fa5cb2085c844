"""The shop's order pages: list, filter, order page, mark paid, cancel, and the new-order email."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.catalog.models import StockMovement, StockReason, Variant
from mall.db import utcnow
from mall.extensions import db
from mall.orders import admin_views, notifications
from mall.orders.models import Order, OrderEvent, OrderRefund, OrderStatus, PaymentStatus
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import cancel_order, record_event
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.mail import clear_outbox, sent, sent_to, text_of

ORDERS = "/shop/shop-a/admin/orders"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def empty_outbox(app):
    clear_outbox(app)


def order_of(shop, minutes_ago: int = 0, **kw) -> SimpleNamespace:
    """A committed order of ``shop`` placed ``minutes_ago``: its id and number."""
    with tenant_context(shop):
        order = place_order(shop, **kw)
        order.placed_at = utcnow() - timedelta(minutes=minutes_ago)
        placed = SimpleNamespace(id=order.id, number=order.number)
        db.session.commit()
    return placed


def reload(shop, order: SimpleNamespace) -> Order:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(Order).where(Order.id == order.id)).one()


def events_of(shop, order: SimpleNamespace, kind: str) -> list[OrderEvent]:
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(OrderEvent).where(
                    OrderEvent.order_id == order.id, OrderEvent.kind == kind
                )
            )
        )


def cancel_form(reason: str, key: str | None = None) -> dict[str, str]:
    """The cancel form as the order page renders it: a reason and the form's own key."""
    return {"reason": reason, "key": key or uuid4().hex}


def join(shop, make_user, role: Role, email: str, name: str):
    user = make_user(email, name=name)
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    return user


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_shops_orders_newest_first(client, shop_a, shop_b, member_of_a):
    old = order_of(shop_a, minutes_ago=30, quantity=3)
    new = order_of(shop_a, minutes_ago=5)
    theirs = order_of(shop_b)

    response = client.get(f"{ORDERS}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index(new.number) < html.index(old.number)
    assert str(theirs.id) not in html  # shop B's orders stay B's (its numbers may repeat A's)
    assert ">Awaiting payment</span>" in html
    assert "Bank transfer" in html
    assert "$31.40" in html  # 2 x 12.50 - 1.00, + 10% tax, + 5.00 shipping
    assert '<td data-label="Items" class="text-end">3</td>' in html
    assert f'href="/shop/shop-a/admin/orders/{new.id}"' in html


def test_the_list_filters_by_status_and_pages(client, shop_a, member_of_a, monkeypatch):
    paid = order_of(shop_a, minutes_ago=20)
    waiting = [order_of(shop_a, minutes_ago=n) for n in (10, 9, 8)]
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(Order).where(Order.id == paid.id).values(status=OrderStatus.PAID)
        )
        db.session.commit()

    html = client.get(f"{ORDERS}/?status=paid").get_data(as_text=True)
    assert paid.number in html
    assert not any(order.number in html for order in waiting)
    assert '<option selected value="paid">' in html

    # An unknown status is no filter at all, not an error.
    html = client.get(f"{ORDERS}/?status=lost").get_data(as_text=True)
    assert all(order.number in html for order in [paid, *waiting])

    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    first = client.get(f"{ORDERS}/?status=awaiting_payment").get_data(as_text=True)
    assert waiting[2].number in first and waiting[1].number in first
    assert waiting[0].number not in first
    older = unescape(first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0])
    assert "status=awaiting_payment" in older and "older=" in older  # the pager keeps the filter
    second = client.get(older).get_data(as_text=True)
    assert waiting[0].number in second
    assert client.get(f"{ORDERS}/?page=zzz").status_code == 200  # an old bookmark: page 1


def test_the_list_costs_the_same_queries_for_one_order_or_twenty(
    client, shop_a, member_of_a, count_queries
):
    order_of(shop_a)
    with count_queries() as one:
        assert client.get(f"{ORDERS}/").status_code == 200
    for n in range(19):
        order_of(shop_a, minutes_ago=n + 1)
    with count_queries() as twenty:
        html = client.get(f"{ORDERS}/").get_data(as_text=True)
    assert html.count('data-label="Items"') == 20
    assert twenty.count == one.count


def test_an_empty_list_says_so(client, shop_a, member_of_a):
    html = client.get(f"{ORDERS}/").get_data(as_text=True)
    assert "No orders yet" in html
    assert 'href="/shop/shop-a/admin/orders/"' in html  # the back office's "Orders" tab


# ---------------------------------------------------------------- the order page


def test_the_order_page_shows_lines_totals_and_the_customers_copy(client, shop_a, member_of_a):
    order = order_of(shop_a)

    response = client.get(f"{ORDERS}/{order.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Order {order.number}" in html
    assert "carol@example.com" in html
    assert (
        "Carol Customer" in html and "12 Elm Street" in html and "Springfield, 62701" in html
    )  # the US layout
    assert "WELCOME" in html and "Your shop" in html  # the discount and who funds it
    assert "10%" in html and "collected by your shop" in html
    assert "Parcel" in html and "$5.00" in html
    assert "$31.40" in html
    assert f"Order {order.number} placed." in html  # the timeline
    assert "Held" in html  # the stock hold
    assert "Mark paid" in html and "Cancel order" in html


def test_the_order_page_shows_payment_fulfilment_and_both_addresses(client, shop_a, member_of_a):
    billing = PostalAddress(
        name="Carol Payer",
        line1="1 Bank Road",
        city="Springfield",
        postal_code="62702",
        country="US",
    )
    with tenant_context(shop_a):
        made = place_order(shop_a)
        made.billing_address_json = billing.to_json()
        line = made.lines[0]
        line.quantity_shipped, line.quantity_refunded, line.amount_refunded = 1, 1, 1570
        made.refunded_amount = 1570
        made.status, made.payment_status = OrderStatus.PARTIALLY_FULFILLED, PaymentStatus.PAID
        made.paid_at = utcnow()
        order = SimpleNamespace(id=made.id, number=made.number)
        db.session.commit()

    html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert '<td data-label="Shipped" class="text-end">1</td>' in html
    assert "$15.70" in html  # refunded on the line, and in the payment
    assert 'id="payment-heading"' in html and "Net" in html and "$15.70 of $31.40" in html
    assert "Carol Payer" in html and "1 Bank Road" in html  # billed elsewhere
    assert "12 Elm Street" in html
    assert "by the customer" in html  # who placed it
    assert html.index('id="lines-heading"') < html.index('id="payment-heading"')


def test_the_timeline_names_its_actors_without_a_query_each(
    client, shop_a, member_of_a, make_user, count_queries
):
    order = order_of(shop_a)

    def note_by(user) -> None:
        with tenant_context(shop_a):
            record_event(reload(shop_a, order), "note", "Called the customer.", actor_id=user.id)
            db.session.commit()

    note_by(member_of_a)
    with count_queries() as one:
        assert client.get(f"{ORDERS}/{order.id}").status_code == 200
    for n in range(5):
        note_by(make_user(f"clerk{n}@example.com", name=f"Clerk {n}"))
    with count_queries() as six:
        html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "by Member A" in html and "by Clerk 4" in html
    assert six.count == one.count


def test_another_shops_order_is_not_found_under_this_shop(client, shop_a, shop_b, member_of_a):
    theirs = order_of(shop_b)
    assert client.get(f"{ORDERS}/{theirs.id}").status_code == 404
    assert client.get("/shop/shop-b/admin/orders/").status_code == 404  # not B's member


def test_a_sales_rep_sees_orders_but_may_not_act(client, app, shop_a, make_user, sign_in, no_csrf):
    rep = join(shop_a, make_user, Role.SALES_REP, "rep@example.com", "Rita Rep")
    sign_in(rep)
    order = order_of(shop_a)

    html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "carol@example.com" in html
    assert "Mark paid" not in html and "Cancel order" not in html
    assert client.post(f"{ORDERS}/{order.id}/mark-paid").status_code == 403
    assert client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form("x")).status_code == 403
    assert client.post(f"{ORDERS}/{order.id}/delivered").status_code == 403
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


# ---------------------------------------------------------------- mark paid


def test_mark_paid_twice_pays_once_and_names_who_did_it(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)

    first = client.post(f"{ORDERS}/{order.id}/mark-paid")
    assert first.status_code == 303
    assert first.headers["Location"].endswith(f"/admin/orders/{order.id}")
    second = client.post(f"{ORDERS}/{order.id}/mark-paid", follow_redirects=True)
    assert "already marked paid: nothing changed" in second.get_data(as_text=True)

    paid = reload(shop_a, order)
    assert paid.status is OrderStatus.PAID
    assert paid.payment_status is PaymentStatus.PAID
    events = events_of(shop_a, order, "paid")
    assert [e.message for e in events] == ["Bank transfer received."]
    assert events[0].actor_id == member_of_a.id
    html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "by Member A" in html
    assert "Sold" in html  # the hold was confirmed
    assert "Mark paid" not in html


def test_only_a_bank_transfer_is_marked_paid_here(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a, payment_method="offline_card")
    assert "Mark paid" not in client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)

    response = client.post(f"{ORDERS}/{order.id}/mark-paid", follow_redirects=True)
    assert response.status_code == 200
    assert "is not paid by bank transfer" in response.get_data(as_text=True)
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


def test_a_cancelled_order_is_not_marked_paid(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)
    client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form("Customer changed their mind."))

    response = client.post(f"{ORDERS}/{order.id}/mark-paid", follow_redirects=True)
    assert "is cancelled: only an order awaiting payment" in response.get_data(as_text=True)
    assert reload(shop_a, order).status is OrderStatus.CANCELLED
    assert events_of(shop_a, order, "paid") == []


def test_actions_need_the_csrf_token(app, client, shop_a, member_of_a, monkeypatch):
    # Said outright: a test elsewhere that switched CSRF off and failed may not have restored it.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    order = order_of(shop_a)
    assert client.post(f"{ORDERS}/{order.id}/mark-paid").status_code == 400
    assert client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form("x")).status_code == 400
    assert client.post(f"{ORDERS}/{order.id}/delivered").status_code == 400
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


# ---------------------------------------------------------------- cancel


def stock_of(shop, variant_id) -> tuple[int, list[StockReason]]:
    with tenant_context(shop):
        db.session.expire_all()
        variant = db.session.scalars(sa.select(Variant).where(Variant.id == variant_id)).one()
        reasons = db.session.scalars(
            sa.select(StockMovement.reason)
            .where(StockMovement.variant_id == variant_id)
            .order_by(StockMovement.created_at, StockMovement.id)
        ).all()
        return variant.stock_quantity, list(reasons)


def test_cancel_returns_the_held_stock_once(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a, quantity=3)
    with tenant_context(shop_a):
        variant_id = db.session.scalars(
            sa.select(StockMovement.variant_id).where(StockMovement.note == order.number)
        ).first()
    assert stock_of(shop_a, variant_id)[0] == 7

    reason = "Customer asked to cancel by phone."
    first = client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form(reason))
    assert first.status_code == 303
    second = client.post(
        f"{ORDERS}/{order.id}/cancel", data=cancel_form(reason), follow_redirects=True
    )
    assert "already cancelled: nothing changed" in second.get_data(as_text=True)

    quantity, reasons = stock_of(shop_a, variant_id)
    assert quantity == 10
    assert reasons == [StockReason.RECEIPT, StockReason.ORDER_HOLD, StockReason.HOLD_RELEASED]
    cancelled = reload(shop_a, order)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.payment_status is PaymentStatus.VOIDED
    assert [e.message for e in events_of(shop_a, order, "cancelled")] == [f"Cancelled: {reason}"]
    html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert reason in html and "Back in stock" in html and "Cancel order" not in html


@pytest.mark.parametrize(
    ("reason", "message"),
    [("   ", "Enter the reason for cancelling."), ("x" * 301, "Use at most 300 characters.")],
)
def test_cancel_needs_a_short_reason(client, shop_a, member_of_a, no_csrf, reason, message):
    order = order_of(shop_a)
    response = client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form(reason))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


def test_a_paid_order_with_nothing_shipped_is_cancelled_by_a_full_refund_once(
    client, shop_a, member_of_a, no_csrf, empty_outbox, app
):
    order = order_of(shop_a)
    client.post(f"{ORDERS}/{order.id}/mark-paid")
    with tenant_context(shop_a):
        variant_id = db.session.scalars(
            sa.select(StockMovement.variant_id).where(StockMovement.note == order.number)
        ).first()
    assert stock_of(shop_a, variant_id)[0] == 8
    page = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "Cancel and refund" in page and "refunds the customer in full ($31.40)" in page
    assert "send the money back yourself" in page  # a bank transfer: the shop pays it back

    form = cancel_form("Out of stock at the supplier.")
    first = client.post(f"{ORDERS}/{order.id}/cancel", data=form, follow_redirects=True)
    assert "cancelled and refunded in full" in first.get_data(as_text=True)
    second = client.post(f"{ORDERS}/{order.id}/cancel", data=form, follow_redirects=True)
    assert "already cancelled: nothing changed" in second.get_data(as_text=True)

    cancelled = reload(shop_a, order)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.payment_status is PaymentStatus.REFUNDED
    assert cancelled.refunded_amount == cancelled.total == 3140
    with tenant_context(shop_a):
        refunds = db.session.scalars(
            sa.select(OrderRefund).where(OrderRefund.order_id == order.id)
        ).all()
    assert len(refunds) == 1 and refunds[0].manual and refunds[0].restocked
    assert stock_of(shop_a, variant_id)[0] == 10  # back in stock, once
    assert len(events_of(shop_a, order, "cancelled")) == 1
    assert len(sent_to(app, "carol@example.com")) == 2  # "payment received", then "cancelled"


def test_an_order_with_shipped_items_is_not_cancelled(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)
    client.post(f"{ORDERS}/{order.id}/mark-paid")
    set_status(shop_a, order, OrderStatus.PARTIALLY_FULFILLED)
    assert "Cancel" not in client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)

    response = client.post(f"{ORDERS}/{order.id}/cancel", data=cancel_form("Too late."))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is partially fulfilled: only an order awaiting payment, or paid with nothing" in page
    assert reload(shop_a, order).status is OrderStatus.PARTIALLY_FULFILLED


def test_cancel_without_the_pages_key_is_refused(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)
    for key in ("", "not-a-key", "a" * 33):
        response = client.post(
            f"{ORDERS}/{order.id}/cancel", data={"reason": "x", "key": key}, follow_redirects=True
        )
        assert response.status_code == 200
        assert "The form expired" in response.get_data(as_text=True)
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


def test_the_cancel_form_has_a_new_key_per_rendering(client, shop_a, member_of_a):
    order = order_of(shop_a)
    keys = [
        re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', html).group(1)
        for html in (client.get(f"{ORDERS}/{order.id}").get_data(as_text=True) for _ in range(2))
    ]
    assert keys[0] != keys[1]


def set_status(shop, order: SimpleNamespace, status: OrderStatus, **values) -> None:
    """Put ``order`` in ``status`` directly (a test's shortcut past shipments and refunds)."""
    with tenant_context(shop):
        db.session.execute(
            sa.update(Order).where(Order.id == order.id).values(status=status, **values)
        )
        db.session.commit()


# ---------------------------------------------------------------- delivered


def test_a_fulfilled_order_is_marked_delivered_once(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)
    set_status(shop_a, order, OrderStatus.FULFILLED, payment_status=PaymentStatus.PAID)
    page = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert "Mark delivered" in page and "Cancel order" not in page

    first = client.post(f"{ORDERS}/{order.id}/delivered", follow_redirects=True)
    assert f"Order {order.number} is marked delivered." in first.get_data(as_text=True)
    second = client.post(f"{ORDERS}/{order.id}/delivered", follow_redirects=True)
    html = second.get_data(as_text=True)
    assert "already marked delivered: nothing changed" in html
    assert "Mark delivered" not in html.split("</nav>", 1)[1]  # the button went
    delivered = reload(shop_a, order)
    assert delivered.status is OrderStatus.DELIVERED and delivered.delivered_at is not None
    (event,) = events_of(shop_a, order, "delivered")
    assert event.actor_id == member_of_a.id


def test_an_order_not_fulfilled_is_not_marked_delivered(client, shop_a, member_of_a, no_csrf):
    order = order_of(shop_a)
    assert "Mark delivered" not in client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    response = client.post(f"{ORDERS}/{order.id}/delivered", follow_redirects=True)
    assert response.status_code == 200
    assert "is awaiting payment: it cannot be marked delivered now." in response.get_data(
        as_text=True
    )
    assert reload(shop_a, order).status is OrderStatus.AWAITING_PAYMENT


# ---------------------------------------------------------------- isolation


def test_shop_a_cannot_act_on_shop_bs_orders(client, shop_a, shop_b, member_of_a, no_csrf):
    theirs = order_of(shop_b)
    for action, data in (
        ("mark-paid", {}),
        ("cancel", cancel_form("Not mine.")),
        ("delivered", {}),
    ):
        assert client.post(f"{ORDERS}/{theirs.id}/{action}", data=data).status_code == 404
    assert client.get(f"{ORDERS}/{theirs.id}").status_code == 404
    assert reload(shop_b, theirs).status is OrderStatus.AWAITING_PAYMENT
    assert events_of(shop_b, theirs, "paid") == events_of(shop_b, theirs, "cancelled") == []


# ---------------------------------------------------------------- the new-order email


def test_the_shops_owners_get_a_new_order_email_without_the_address(
    app, shop_a, make_user, empty_outbox
):
    owner = join(shop_a, make_user, Role.OWNER, "owner@shop-a.example", "Olga Owner")
    join(shop_a, make_user, Role.STAFF, "staff@shop-a.example", "Sam Staff")
    with tenant_context(shop_a):
        order = place_order(shop_a)
        notify_shop_of_order(order)
        number, order_id = order.number, order.id
        db.session.commit()  # the job runs (inline) after the commit

    messages = sent(app)
    assert [m["To"] for m in messages] == [owner.email]
    message = sent_to(app, owner.email)[0]
    assert number in message["Subject"] and "Shop A" in message["Subject"]
    body = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"/shop/shop-a/admin/orders/{order_id}" in body
    assert "$31.40" in body and "Teapot" in body and "Parcel" in body
    for text in (body, html):
        assert "Elm Street" not in text and "Carol" not in text
        assert "carol@example.com" not in text


# ---------------------------------------------------------------- the customer's emails


def test_the_customer_is_emailed_once_when_the_transfer_is_marked_paid(
    app, client, shop_a, member_of_a, no_csrf, empty_outbox
):
    order = order_of(shop_a)
    client.post(f"{ORDERS}/{order.id}/mark-paid")
    client.post(f"{ORDERS}/{order.id}/mark-paid")  # a second click: no second email

    (message,) = sent_to(app, "carol@example.com")
    assert message["Subject"] == f"Shop A received your payment for order {order.number}"
    body = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Shop A received your bank transfer of $31.40 for order" in body
    for text in (body, html):
        assert "received your bank transfer of" in text
        assert "Teapot" in text and "$31.40" in text
        assert "Elm Street" not in text  # the address is not repeated by email


def test_the_customer_is_emailed_once_when_the_shop_cancels(
    app, client, shop_a, member_of_a, no_csrf, empty_outbox
):
    order = order_of(shop_a)
    form = cancel_form("Internal note: the supplier is late.")
    client.post(f"{ORDERS}/{order.id}/cancel", data=form)
    client.post(f"{ORDERS}/{order.id}/cancel", data=form)

    (message,) = sent_to(app, "carol@example.com")
    assert message["Subject"] == f"Your order {order.number} at Shop A is cancelled"
    body = text_of(message)
    assert "Shop A cancelled your order" in body
    assert "please do not send a bank transfer for it" in body
    assert "supplier" not in body  # the staff's reason stays in the back office


def test_no_email_when_the_system_cancels(app, shop_a, empty_outbox):
    with tenant_context(shop_a):
        order = place_order(shop_a)
        cancel_order(order, reason="Not paid in time.")
        db.session.commit()
    assert sent_to(app, "carol@example.com") == []


def test_the_customer_email_jobs_carry_ids_only(client, shop_a, member_of_a, no_csrf, monkeypatch):
    queued = []
    monkeypatch.setattr(
        notifications, "enqueue_after_commit", lambda job, *args: queued.append((job, args))
    )
    order = order_of(shop_a)
    client.post(f"{ORDERS}/{order.id}/mark-paid")
    other = order_of(shop_a)
    client.post(f"{ORDERS}/{other.id}/cancel", data=cancel_form("x"))
    assert [args for _, args in queued] == [
        (str(shop_a.id), str(order.id)),
        (str(shop_a.id), str(other.id)),
    ]


def test_no_email_for_an_order_that_is_gone(app, shop_a, empty_outbox):
    from mall.orders.jobs import send_new_order_email

    send_new_order_email(str(shop_a.id), "0190f4a2-0000-7000-8000-000000000000")
    assert sent(app) == []
