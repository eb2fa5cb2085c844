"""A refund is recorded once, whichever way it started and however often Stripe reports it.

- Started in the shop's back office: the refund goes to Stripe with an idempotency
  key and Mall's key in its metadata; Stripe's ``refund.created`` event (before or
  after the back office's own transaction) meets it on the same row.
- Made on Stripe's dashboard: a checkout of one shop is matched to its order; the
  order, the payment and the ledger change once, whatever replays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

import pytest
import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import EntryKind, LedgerEntry
from mall.orders.models import Order, OrderRefund, PaymentStatus, RefundSource
from mall.payments.models import Payment, PaymentRefund
from tenants.context import all_tenants
from tests.support import stripe_checkout as stripe
from tests.support.money import shop_owed
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop
from tests.support.stripe_checkout import webhook

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@pytest.fixture
def paid_by_card(app, client, stripe_on, shop_a):
    """Shop A sold 2 x 12.50 + 5.00 shipping, paid on Stripe (webhook)."""
    stocked = stock_shop(shop_a, price=1250, quantity=5)
    add_to_cart(client, stocked.variant_id, 2)
    response = place(client, fill_checkout(client, method="stripe"))
    session_id = re.search(r"(cs_test_\w+)", response.headers["Location"]).group(1)
    session = stripe_on.pay(session_id)
    assert webhook(client, "checkout.session.completed", session, event_id="evt_paid").status_code
    order = the_order()
    return Sold(order.id, order.lines[0].id, order.tenant_id), session


@dataclass(frozen=True)
class Sold:
    id: UUID
    line_id: UUID
    tenant_id: UUID


def the_order() -> Order:
    db.session.expire_all()
    with all_tenants("test: the one order"):
        order = db.session.scalar(sa.select(Order))
        order.lines  # noqa: B018 - loaded while in scope
        return order


def refunds_posted() -> int:
    return len(
        db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).all()
    )


def order_refunds() -> list[OrderRefund]:
    with all_tenants("test: every order refund"):
        return list(db.session.scalars(sa.select(OrderRefund)))


def form_key(client, order: Sold) -> str:
    page = client.get(f"/shop/shop-a/admin/orders/{order.id}").get_data(as_text=True)
    action = f'action="/shop/shop-a/admin/orders/{order.id}/refunds"'
    assert action in page, "the refund form is on the order page"
    form = page[page.index(action) :]
    return re.search(r'name="refund-key"[^>]*value="([0-9a-f]{32})"', form).group(1)


def refund_one_unit(client, order: Sold, key: str):
    return client.post(
        f"/shop/shop-a/admin/orders/{order.id}/refunds",
        data={f"qty-{order.line_id.hex}": "1", "refund-key": key, "refund-reason": "Scratched"},
    )


def test_admin_refund_then_the_webhook_records_once(client, paid_by_card, member_of_a, stripe_on):
    order, _ = paid_by_card
    key = form_key(client, order)
    response = refund_one_unit(client, order, key)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert refund_one_unit(client, order, key).status_code == 303  # a double click
    (made,) = stripe_on.refunds.values()
    assert made["amount"] == 1250
    for n in range(3):  # Stripe reports it, and again
        event = "refund.created" if n == 0 else "refund.updated"
        assert webhook(client, event, made, event_id=f"evt_re_{n}").status_code == 200
    charge = {"id": "ch_1", "payment_intent": made["payment_intent"], "refunds": {"data": [made]}}
    assert webhook(client, "charge.refunded", charge, event_id="evt_ch").status_code == 200
    assert len(stripe_on.posts("/v1/refunds")) == 1
    assert len(db.session.scalars(sa.select(PaymentRefund)).all()) == 1
    assert db.session.scalar(sa.select(Payment.refunded_amount)) == 1250
    (recorded,) = order_refunds()
    assert recorded.source is RefundSource.ADMIN and recorded.amount == 1250
    assert refunds_posted() == 1
    assert the_order().payment_status is PaymentStatus.PARTIALLY_REFUNDED
    assert verify_chain().ok


def test_the_webhook_first_then_the_admin_records_once(
    client, paid_by_card, member_of_a, stripe_on
):
    order, session = paid_by_card
    key = form_key(client, order)
    early = {
        "id": "re_early",
        "object": "refund",
        "amount": 1250,
        "payment_intent": session["payment_intent"],
        "status": "succeeded",
        "metadata": {"mall_refund": f"order-refund:{order.id}:{key}"},
    }
    assert webhook(client, "refund.created", early, event_id="evt_early").status_code == 200
    assert order_refunds() == []  # the back office records it, not the event
    assert refund_one_unit(client, order, key).status_code == 303
    assert stripe_on.posts("/v1/refunds") == []  # found by its key: not asked twice
    assert len(db.session.scalars(sa.select(PaymentRefund)).all()) == 1
    assert len(order_refunds()) == 1
    assert refunds_posted() == 1


def test_a_dashboard_refund_on_a_one_shop_checkout_is_the_orders(client, paid_by_card, stripe_on):
    order, session = paid_by_card
    owed_before = shop_owed(order.tenant_id)
    dashboard = {
        "id": "re_dashboard",
        "object": "refund",
        "amount": 3000,  # all of it: 2 x 12.50 + 5.00
        "payment_intent": session["payment_intent"],
        "status": "succeeded",
        "metadata": {},
    }
    for n in range(2):
        assert webhook(client, "refund.created", dashboard, event_id=f"evt_d{n}").status_code == 200
    (recorded,) = order_refunds()
    assert recorded.source is RefundSource.PROVIDER and recorded.amount == 3000
    assert refunds_posted() == 1
    refreshed = the_order()
    assert refreshed.payment_status is PaymentStatus.REFUNDED
    assert owed_before > 0 and shop_owed(order.tenant_id) == 0
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert checkout.id == refreshed.checkout_id
    assert verify_chain().ok
