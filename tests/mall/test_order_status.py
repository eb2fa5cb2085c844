"""The order's status machine (``mall.orders.status``) and the services and buttons that use it.

Every move the machine does not allow is refused with a sentence, through the
service and through every button of the order page; every allowed move moves
once, and a repeat changes nothing.
"""

from __future__ import annotations

from itertools import product
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders import services, status
from mall.orders.errors import InvalidTransition, OrderError
from mall.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from mall.signals import order_paid
from tenants.context import tenant_context
from tests.crawl.orders import place_order

S = OrderStatus
ORDERS = "/shop/shop-a/admin/orders"
ALLOWED_PAIRS = {(old, new) for new, olds in status.ALLOWED.items() for old in olds}
REFUSED_PAIRS = sorted(
    (old, new)
    for old, new in product(OrderStatus, OrderStatus)
    if old is not new and (old, new) not in ALLOWED_PAIRS
)


def pair_id(pair: tuple[OrderStatus, OrderStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


@pytest.fixture
def order(shop_a):
    """An order of shop A awaiting payment (in shop A's context for the test)."""
    with tenant_context(shop_a):
        made = place_order(shop_a)
        db.session.commit()
        yield made


def put(order: Order, new: OrderStatus) -> None:
    """Force ``order`` into ``new`` (the test's starting point)."""
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(status=new))
    db.session.refresh(order)


def events(order: Order, kind: str) -> list[OrderEvent]:
    return list(
        db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == kind)
        )
    )


# ---------------------------------------------------------------- the machine itself


def test_the_machine_names_every_status():
    assert set(status.LABELS) == set(OrderStatus)
    assert set(status.VERBS) == set(OrderStatus)
    assert S.AWAITING_PAYMENT not in status.ALLOWED  # nothing goes back to unpaid
    assert all(not status.can_move(S.CANCELLED, new) for new in OrderStatus)  # cancelled: final
    assert all(not status.can_move(S.REFUNDED, new) for new in OrderStatus)  # refunded: final


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=pair_id)
def test_every_move_the_machine_does_not_allow_is_refused_with_a_sentence(order, pair):
    old, new = pair
    put(order, old)
    with pytest.raises(InvalidTransition) as refused:
        status.move(order, new)
    message = str(refused.value)
    assert message == (
        f"Order {order.number} is {status.LABELS[old]}: "
        f"it cannot be {status.VERBS.get(new, new)} now."
    )
    db.session.refresh(order)
    assert order.status is old  # nothing changed


@pytest.mark.parametrize("pair", sorted(ALLOWED_PAIRS), ids=pair_id)
def test_every_allowed_move_moves_once(order, pair):
    old, new = pair
    put(order, old)
    assert status.move(order, new) is True
    assert order.status is new
    # A repeat changes nothing, except where the machine loops on purpose (another
    # parcel of a partly fulfilled order moves it again).
    assert status.move(order, new) is (new in status.ALLOWED[new])
    assert order.status is new


def test_sources_narrow_what_a_move_may_come_from(order):
    put(order, S.PAID)
    with pytest.raises(InvalidTransition):
        status.move(order, S.CANCELLED, sources=frozenset({S.AWAITING_PAYMENT}))
    # ...but never widen it: paid -> delivered stays refused even when asked for.
    with pytest.raises(InvalidTransition):
        status.move(order, S.DELIVERED, sources=frozenset({S.PAID}))
    assert status.move(order, S.CANCELLED, sources=frozenset({S.PAID})) is True


def test_a_move_writes_its_values_in_the_same_update(order):
    put(order, S.FULFILLED)
    assert status.move(order, S.DELIVERED, payment_status=PaymentStatus.PAID)
    assert order.payment_status is PaymentStatus.PAID and order.updated_at is not None


# ---------------------------------------------------------------- the services


def test_mark_order_paid_goes_through_the_machine(order):
    heard = []
    with order_paid.connected_to(heard.append):
        assert services.mark_order_paid(order, note="Paid (test).") is True
        assert services.mark_order_paid(order) is False  # a repeat
    assert order.status is S.PAID and order.payment_status is PaymentStatus.PAID
    assert order.paid_at is not None
    assert heard == [order]
    assert [e.message for e in events(order, "paid")] == ["Paid (test)."]


def test_a_cancelled_order_is_paid_only_when_revived(order):
    assert services.cancel_order(order, reason="Not paid in time.")
    assert services.mark_order_paid(order) is False  # not awaiting payment: the caller says so
    assert order.status is S.CANCELLED
    assert services.mark_order_paid(order, revive=True) is True  # a late payment
    assert order.status is S.PAID and order.cancelled_at is None


@pytest.mark.parametrize("old", [S.FULFILLED, S.REFUNDED, S.DELIVERED])
def test_mark_order_paid_never_revives_anything_else(order, old):
    put(order, old)
    assert services.mark_order_paid(order, revive=True) is False
    assert order.status is old


def test_cancel_order_refuses_a_paid_order_with_what_to_do(order):
    services.mark_order_paid(order)
    with pytest.raises(InvalidTransition, match="only an order awaiting payment can be cancelled"):
        services.cancel_order(order, reason="x")
    assert order.status is S.PAID


def test_cancel_order_twice_cancels_once(order):
    assert services.cancel_order(order, reason="Changed their mind.") is True
    assert services.cancel_order(order, reason="Changed their mind.") is False
    assert order.payment_status is PaymentStatus.VOIDED and order.cancelled_at is not None
    assert len(events(order, "cancelled")) == 1


def test_mark_order_refunded_moves_a_paid_order_once(order):
    services.mark_order_paid(order)
    assert services.mark_order_refunded(order, amount=order.total, note="Refunded.") is True
    assert services.mark_order_refunded(order, amount=order.total, note="Refunded.") is False
    assert order.status is S.REFUNDED and order.payment_status is PaymentStatus.REFUNDED
    assert order.refunded_amount == order.total
    assert len(events(order, "refunded")) == 1


def test_a_short_order_keeps_its_status_when_refunded(order):
    services.mark_order_paid(order)
    put(order, S.PAID_OUT_OF_STOCK)
    assert services.mark_order_refunded(order, amount=order.total, note="Out of stock.") is True
    assert services.mark_order_refunded(order, amount=order.total, note="Out of stock.") is False
    assert order.status is S.PAID_OUT_OF_STOCK  # it says why it was refunded
    assert order.payment_status is PaymentStatus.REFUNDED


def test_an_unpaid_order_is_not_marked_refunded(order):
    with pytest.raises(InvalidTransition, match="cannot be refunded in full now"):
        services.mark_order_refunded(order, amount=order.total, note="x")


def test_mark_delivered_only_from_fulfilled(order):
    with pytest.raises(InvalidTransition, match="is awaiting payment: it cannot be marked deliv"):
        services.mark_delivered(order, actor_id=None)
    put(order, S.FULFILLED)
    assert services.mark_delivered(order, actor_id=None) is True
    assert services.mark_delivered(order, actor_id=None) is False
    assert order.status is S.DELIVERED and order.delivered_at is not None
    assert [e.message for e in events(order, "delivered")] == ["Marked delivered."]


def test_invalid_transition_is_an_order_error():
    # The views catch OrderError: every refusal of the machine becomes a message.
    assert issubclass(InvalidTransition, OrderError)


# ---------------------------------------------------------------- the buttons, through HTTP


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def order_in(shop, new: OrderStatus, **kw) -> SimpleNamespace:
    with tenant_context(shop):
        made = place_order(shop, **kw)
        db.session.execute(sa.update(Order).where(Order.id == made.id).values(status=new))
        placed = SimpleNamespace(id=made.id, number=made.number)
        db.session.commit()
    return placed


def status_of(shop, order: SimpleNamespace) -> OrderStatus:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalar(sa.select(Order.status).where(Order.id == order.id))


ACTIONS = {
    # button -> (its form, the statuses where the page offers it)
    "mark-paid": ({}, {S.AWAITING_PAYMENT}),
    "delivered": ({}, {S.FULFILLED}),
    "cancel": ({"reason": "Test."}, {S.AWAITING_PAYMENT, S.PAID}),
}
# Where the button's work was done already: "nothing changed", not a refusal.
REPEATS = {
    ("mark-paid", S.PAID),
    ("mark-paid", S.PAID_OUT_OF_STOCK),
    ("delivered", S.DELIVERED),
    ("cancel", S.CANCELLED),
}
MESSAGES = {
    "mark-paid": "only an order awaiting payment can be marked paid",
    "delivered": "it cannot be marked delivered now",
    "cancel": "only an order awaiting payment, or paid with nothing shipped, can be cancelled",
}


@pytest.mark.parametrize(
    ("action", "old"),
    [
        (action, old)
        for action, (_, offered) in ACTIONS.items()
        for old in OrderStatus
        if old not in offered and (action, old) not in REPEATS
    ],
    ids=lambda value: value if isinstance(value, str) else value.value,
)
def test_a_button_used_where_it_is_not_offered_gives_a_message(
    client, shop_a, member_of_a, no_csrf, action, old
):
    order = order_in(shop_a, old)
    data, _ = ACTIONS[action]
    if action == "cancel":
        data = {**data, "key": uuid4().hex}
    response = client.post(f"{ORDERS}/{order.id}/{action}", data=data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert MESSAGES[action] in html, html[html.find("alert") - 200 :][:600]
    assert f"Order {order.number} is {status.LABELS[old]}" in html
    assert status_of(shop_a, order) is old


@pytest.mark.parametrize("old", list(OrderStatus), ids=lambda s: s.value)
def test_the_page_offers_only_the_buttons_the_machine_allows(client, shop_a, member_of_a, old):
    order = order_in(shop_a, old)
    html = client.get(f"{ORDERS}/{order.id}").get_data(as_text=True)
    assert ("Mark paid" in html) == (old is S.AWAITING_PAYMENT)
    assert ("Mark delivered" in html) == (old is S.FULFILLED)
    assert ('action="' + f"{ORDERS}/{order.id}/cancel" in html) == (
        old in (S.AWAITING_PAYMENT, S.PAID)
    )


def test_repeating_a_cancel_on_a_cancelled_order_changes_nothing(
    client, shop_a, member_of_a, no_csrf
):
    order = order_in(shop_a, S.CANCELLED)
    response = client.post(
        f"{ORDERS}/{order.id}/cancel",
        data={"reason": "Again.", "key": uuid4().hex},
        follow_redirects=True,
    )
    assert "was already cancelled: nothing changed" in response.get_data(as_text=True)
