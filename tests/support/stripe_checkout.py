"""Stripe in tests: the stub server, Stripe switched on against it, signed events, and a
customer paying a checkout of several shops through it.

The real ``stripe`` library talks to ``tests/support/stripe_stub.py`` on loopback;
events are signed as Stripe signs them and go through the webhooks, as in
production. A test module takes the fixtures by name::

    from tests.support import stripe_checkout as stripe

    stub_server = stripe.stub_server  # one stub server per test module
    stripe_on = stripe.stripe_on  # Stripe configured against it, per test
    shops, paid = stripe.three_shops, stripe.paid_by_card  # fixtures ``shops`` and ``paid``
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from mall.payments.models import Payment
from mall.payments.providers import forget_banner
from tenants.settings import put_setting
from tests.support.shopping import Stocked, add_to_cart, fill_checkout, place, stock_shop
from tests.support.stripe_stub import StripeStub, start_stub

SECRET = "whsec_money_tests"
CONNECT_SECRET = "whsec_connect_tests"
WEBHOOK = "/payments/stripe/webhook"
CONNECT_WEBHOOK = "/payouts/stripe/connect-webhook"


@pytest.fixture(scope="module")
def stub_server():
    """The recording Stripe stub, running for the test module."""
    stub, server = start_stub()
    yield stub
    server.shutdown()


def enable_stripe(app, stub: StripeStub, monkeypatch) -> None:
    """Stripe configured against the stub (platform and Connect webhooks), CSRF off (the tests
    post forms directly); the stub forgets the requests, refunds and Connect objects it had."""
    stub.requests.clear()
    stub.refunds.clear()
    stub.forget_connect()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_mall")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stub.base)
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.test")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    with app.app_context():
        forget_banner()


@pytest.fixture
def stripe_on(app, stub_server, monkeypatch):
    """Stripe on against the stub for one test (see ``enable_stripe``); the stub."""
    enable_stripe(app, stub_server, monkeypatch)
    yield stub_server
    with app.app_context():
        forget_banner()


@pytest.fixture(name="shops")
def three_shops(make_shop) -> list[Stocked]:
    """``shops``: Acme (10.00 + 5.00 shipping), Bolt (25.00 + 7.00) and Cog (9.99 + 3.00),
    at 10 % commission."""
    put_setting("commission.default_bp", 1000)
    return [
        stock_shop(make_shop(slug, name=slug.capitalize()), price=price, shipping=shipping)
        for slug, price, shipping in (("acme", 1000, 500), ("bolt", 2500, 700), ("cog", 999, 300))
    ]


@pytest.fixture(name="paid")
def paid_by_card(client, stripe_on, shops) -> Paid:
    """``paid``: one unit of each of the three ``shops``, paid on Stripe."""
    return pay_with_stripe(client, stripe_on, *[(stocked.variant_id, 1) for stocked in shops])


def webhook(
    client,
    event_type: str,
    obj: dict,
    *,
    event_id: str,
    path: str = WEBHOOK,
    secret: str = SECRET,
    created: int | None = None,
):
    """Post an event signed as Stripe signs it (``created``: when Stripe made it); the response."""
    payload = StripeStub.event(event_type, obj, event_id=event_id)
    if created is not None:
        payload = json.dumps({**json.loads(payload), "created": created}).encode()
    return client.post(
        path,
        data=payload,
        headers={"Stripe-Signature": StripeStub.sign(payload, secret)},
        content_type="application/json",
    )


def send_event(client, event_type: str, obj: dict, *, event_id: str):
    """Stripe sends ``event_type`` about ``obj`` to the webhook, which takes it; the response."""
    response = webhook(client, event_type, obj, event_id=event_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def connect_event(client, account: dict, *, event_id: str, created: int | None = None):
    """Stripe's ``account.updated`` about a connected ``account`` to the Connect webhook."""
    return webhook(
        client,
        "account.updated",
        account,
        event_id=event_id,
        path=CONNECT_WEBHOOK,
        secret=CONNECT_SECRET,
        created=created,
    )


@dataclass
class Paid:
    """A checkout paid through Stripe: its orders (by shop), its payment intent."""

    checkout_id: object
    intent: str
    orders: list[Order]

    def order_of(self, shop) -> Order:
        return next(order for order in self.orders if order.tenant_id == shop.id)

    def reload(self) -> Paid:
        db.session.expire_all()
        self.orders = orders_of_checkout(self.checkout_id)
        return self


def pay_with_stripe(client, stub: StripeStub, *items: tuple[object, int]) -> Paid:
    """Put ``(variant_id, quantity)`` items in the cart, pay on Stripe's page, webhook: paid."""
    for variant_id, quantity in items:
        assert add_to_cart(client, variant_id, quantity).status_code in (200, 303)
    response = place(client, fill_checkout(client, method="stripe"))
    assert response.status_code == 303, response.get_data(as_text=True)
    session_id = re.search(r"(cs_test_\w+)", response.headers["Location"]).group(1)
    session = stub.pay(session_id)
    send_event(client, "checkout.session.completed", session, event_id=f"evt_paid_{session_id}")
    db.session.expire_all()
    checkout_id = db.session.scalar(
        sa.select(Checkout.id).order_by(Checkout.created_at.desc()).limit(1)
    )
    payment = db.session.scalar(sa.select(Payment).where(Payment.checkout_id == checkout_id))
    assert payment.provider_payment_ref == session["payment_intent"]
    return Paid(checkout_id, session["payment_intent"], orders_of_checkout(checkout_id))
