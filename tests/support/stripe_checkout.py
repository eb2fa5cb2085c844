"""A customer pays a checkout of several shops through Stripe (the stub), and Stripe's events after.

For the money tests (disputes, unattributed refunds, reconciliation): the real
``stripe`` library talks to ``tests/support/stripe_stub.py``; events are signed
as Stripe signs them and go through the webhook, as in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from mall.payments.models import Payment
from mall.payments.providers import forget_banner
from tests.support.shopping import add_to_cart, fill_checkout, place
from tests.support.stripe_stub import StripeStub

SECRET = "whsec_money_tests"
WEBHOOK = "/payments/stripe/webhook"


def enable_stripe(app, stub: StripeStub, monkeypatch) -> None:
    """Stripe configured against the stub, CSRF off (the tests post forms directly)."""
    stub.requests.clear()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_mall")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stub.base)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    with app.app_context():
        forget_banner()


def send_event(client, event_type: str, obj: dict, *, event_id: str):
    """Stripe sends ``event_type`` about ``obj`` to the webhook; the response."""
    payload = StripeStub.event(event_type, obj, event_id=event_id)
    response = client.post(
        WEBHOOK,
        data=payload,
        headers={"Stripe-Signature": StripeStub.sign(payload, SECRET)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


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
