"""Checkout through Stripe Checkout: every order of webhook and return gives one set of orders.

The real ``stripe`` library talks to the recording stub on loopback; webhooks are
signed as Stripe signs them. "Paid but short": a payment that completes after
the hold lapsed and the stock was sold refunds that shop's part alone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.checkout.completion import expire_overdue
from mall.checkout.models import Checkout, CheckoutStatus
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order, OrderStatus, PaymentStatus
from mall.payments.models import Payment
from tenants.context import all_tenants, tenant_context
from tests.support import stripe_checkout as stripe
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop
from tests.support.stripe_checkout import webhook

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@pytest.fixture
def two_shops(make_shop):
    acme = stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)
    bolt = stock_shop(make_shop("bolt", name="Bolt"), price=1250, quantity=5, shipping=700)
    return acme, bolt


def go_to_stripe(client, two_shops, quantity: int = 1) -> str:
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id, quantity)
    add_to_cart(client, bolt.variant_id)
    response = place(client, fill_checkout(client, method="stripe"))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("https://checkout.stripe.test/"), location
    return re.search(r"(cs_test_\w+)", location).group(1)


def come_back(client, session_id: str):
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    return client.get(f"/checkout/return/{checkout.id}?session_id={session_id}")


def orders() -> list[Order]:
    db.session.expire_all()
    with all_tenants("test: every order"):
        return list(db.session.scalars(sa.select(Order).order_by(Order.number)))


def assert_paid_once() -> None:
    made = orders()
    assert len(made) == 2 and all(o.status is OrderStatus.PAID for o in made)
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert checkout.status is CheckoutStatus.PAID
    assert len(db.session.scalars(sa.select(Payment)).all()) == 1
    with all_tenants("test: paid events"):
        paid = db.session.scalar(sa.text("SELECT count(*) FROM order_events WHERE kind = 'paid'"))
    assert paid == 2


def test_the_session_carries_the_checkout_and_no_personal_data(client, stripe_on, two_shops):
    go_to_stripe(client, two_shops, quantity=3)
    (sent,) = stripe_on.posts("/v1/checkout/sessions")
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert sent.params["payment_intent_data[transfer_group]"] == str(checkout.id)
    assert sent.idempotency_key
    assert stripe_on.sessions[next(iter(stripe_on.sessions))]["amount_total"] == checkout.total
    values = " ".join(sent.params.values()).lower()
    for personal in ("ada", "lovelace", "marylebone", "nw1", "ada@example.com"):
        assert personal not in values
    # Held, not yet paid.
    assert all(o.status is OrderStatus.AWAITING_PAYMENT for o in orders())


@pytest.mark.parametrize("order_of_arrival", ["webhook-first", "return-first", "return-between"])
def test_webhook_and_return_in_any_order_complete_once(
    client, stripe_on, two_shops, order_of_arrival
):
    session_id = go_to_stripe(client, two_shops)
    session = stripe_on.pay(session_id)
    event = "checkout.session.completed"
    if order_of_arrival == "webhook-first":
        steps = ["hook", "hook", "back", "hook", "back"]
    elif order_of_arrival == "return-first":
        steps = ["back", "back", "hook", "hook", "hook"]
    else:
        steps = ["hook", "back", "hook", "back", "hook"]
    for step in steps:
        if step == "hook":
            assert webhook(client, event, session, event_id="evt_paid_1").status_code == 200
        else:
            assert come_back(client, session_id).status_code == 303
    assert_paid_once()


def test_the_review_page_lets_the_place_button_go_on_to_stripe(client, stripe_on, two_shops):
    """Browsers hold a form's redirect to the page's CSP ``form-action`` (Chromium blocks it):
    the review page of a Stripe checkout names Stripe's hosted page; another names none."""
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    fill_checkout(client, method="stripe")
    policy = client.get("/checkout/review").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.test;" in policy

    client.post("/checkout/payment", data={"method": "test"})
    policy = client.get("/checkout/review").headers["Content-Security-Policy"]
    assert "form-action 'self';" in policy
    assert "checkout.stripe" not in policy


def test_a_forged_webhook_changes_nothing(client, stripe_on, two_shops):
    session_id = go_to_stripe(client, two_shops)
    session = stripe_on.pay(session_id)
    response = webhook(
        client, "checkout.session.completed", session, event_id="evt_forged", secret="whsec_wrong"
    )
    assert response.status_code == 400
    assert all(o.status is OrderStatus.AWAITING_PAYMENT for o in orders())


def test_an_expired_session_cancels_the_orders_and_returns_the_stock(client, stripe_on, two_shops):
    acme, _ = two_shops
    session_id = go_to_stripe(client, two_shops, quantity=2)
    session = dict(stripe_on.sessions[session_id], status="expired")
    for _ in range(2):
        webhook(client, "checkout.session.expired", session, event_id="evt_gone")
    assert all(o.status is OrderStatus.CANCELLED for o in orders())
    with tenant_context(acme.shop):
        assert db.session.get(Variant, (acme.shop.id, acme.variant_id)).stock_quantity == 5


def test_paid_after_the_hold_lapsed_refunds_only_the_sold_out_shop(client, stripe_on, two_shops):
    acme, bolt = two_shops
    session_id = go_to_stripe(client, two_shops, quantity=5)
    assert expire_overdue(now=utcnow() + timedelta(days=1)) == 1
    db.session.commit()
    with tenant_context(acme.shop):  # the five units go to someone else
        variant = db.session.get(Variant, (acme.shop.id, acme.variant_id))
        adjust_stock(variant, -5, reason=StockReason.ADJUSTMENT)
    db.session.commit()
    session = stripe_on.pay(session_id)
    for _ in range(3):
        assert (
            webhook(client, "checkout.session.completed", session, event_id="evt_late").status_code
            == 200
        )
    by_shop = {o.tenant_id: o for o in orders()}
    short, fine = by_shop[acme.shop.id], by_shop[bolt.shop.id]
    assert short.status is OrderStatus.PAID_OUT_OF_STOCK
    assert short.payment_status is PaymentStatus.REFUNDED
    assert fine.status is OrderStatus.PAID and fine.payment_status is PaymentStatus.PAID
    (refund,) = stripe_on.posts("/v1/refunds")
    assert int(refund.params["amount"]) == short.total
    assert refund.idempotency_key
    with tenant_context(bolt.shop):
        assert db.session.get(Variant, (bolt.shop.id, bolt.variant_id)).stock_quantity == 4


def test_placing_again_returns_to_the_same_stripe_page(client, stripe_on, two_shops):
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    review = fill_checkout(client, method="stripe")
    first = place(client, review)
    second = place(client, review)
    assert first.headers["Location"] == second.headers["Location"]
    assert second.headers["Location"].startswith("https://checkout.stripe.test/")
    assert len(stripe_on.posts("/v1/checkout/sessions")) == 1
    assert len(orders()) == 2


def test_a_shop_cancelling_while_the_customer_pays_gets_its_part_refunded(
    client, stripe_on, two_shops
):
    from mall.orders.services import cancel_order

    acme, bolt = two_shops
    session_id = go_to_stripe(client, two_shops)
    with tenant_context(acme.shop):
        (mine,) = [o for o in orders() if o.tenant_id == acme.shop.id]
        assert cancel_order(mine, reason="Out of season")
    db.session.commit()
    session = stripe_on.pay(session_id)
    for _ in range(2):
        assert webhook(client, "checkout.session.completed", session, event_id="evt_c").status_code
    by_shop = {o.tenant_id: o for o in orders()}
    assert by_shop[acme.shop.id].status is OrderStatus.CANCELLED
    assert by_shop[bolt.shop.id].status is OrderStatus.PAID
    (refund,) = stripe_on.posts("/v1/refunds")
    assert int(refund.params["amount"]) == by_shop[acme.shop.id].total
