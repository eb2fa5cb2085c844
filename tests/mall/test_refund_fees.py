"""Stripe's fee: posted once per payment from its balance transaction; on refunded money it is
borne by the platform or, when the operator says so, by the shop that refunds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.reconciliation import reconcile
from mall.money import proportion
from mall.orders.refunds import RefundRequest, refund_order
from mall.payments.models import Payment
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tenants.settings import put_setting
from tests.support import stripe_checkout as stripe
from tests.support.money import account_total
from tests.support.shopping import stock_shop
from tests.support.stripe_checkout import pay_with_stripe, send_event
from tests.support.stripe_stub import StripeStub

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@pytest.fixture
def acme(make_shop):
    return stock_shop(make_shop("acme", name="Acme"), price=1999, quantity=10, shipping=500)


def fee_entries() -> list[LedgerEntry]:
    return list(db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.FEE)))


def shop_fee_lines(shop_id) -> int:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
            LedgerLine.shop_id == shop_id, LedgerLine.kind == "processor_fee"
        )
    )
    return int(total or 0)


def test_the_fee_is_fetched_and_posted_once(client, stripe_on, acme):
    paid = pay_with_stripe(client, stripe_on, (acme.variant_id, 2))
    total = paid.orders[0].total
    fee = StripeStub.fee_for(total)
    payment = db.session.scalar(sa.select(Payment))
    assert payment.fee == fee
    session = next(iter(stripe_on.sessions.values()))
    send_event(client, "checkout.session.completed", session, event_id="evt_again")
    (entry,) = fee_entries()
    assert {line.account: line.amount for line in entry.lines} == {
        Account.PROCESSOR_FEES: fee,
        Account.PROCESSOR: -fee,
    }
    assert reconcile().differences == 0
    assert verify_chain().ok


def test_the_platform_bears_it_by_default(client, stripe_on, acme):
    paid = pay_with_stripe(client, stripe_on, (acme.variant_id, 2))
    with tenant_context(acme.shop_id):
        refund_order(paid.orders[0], RefundRequest(amount=1000), actor_id=None, key="r1")
    db.session.commit()
    assert len(fee_entries()) == 1  # the payment's; nothing on the refund
    assert shop_fee_lines(acme.shop_id) == 0


def test_the_shop_bears_the_refunded_share_exactly(client, stripe_on, acme):
    put_setting("payments.refund_fee_bearer", "shop")
    db.session.commit()
    paid = pay_with_stripe(client, stripe_on, (acme.variant_id, 3))
    order = paid.orders[0]
    total, fee = order.total, StripeStub.fee_for(order.total)
    with tenant_context(acme.shop_id):
        refund_order(order, RefundRequest(amount=1001), actor_id=None, key="r1")
        assert shop_fee_lines(acme.shop_id) == proportion(fee, 1001, total)  # a debit: owed
        refund_order(order, RefundRequest(amount=1000, manual=True), actor_id=None, key="m")
        assert shop_fee_lines(acme.shop_id) == proportion(fee, 1001, total)  # manual: no fee
        left = order.total - order.refunded_amount
        on_lines = min(left, sum(line.total - line.amount_refunded for line in order.lines))
        request = RefundRequest(amount=on_lines, shipping=left - on_lines)
        refund_order(order, request, actor_id=None, key="r2")
    db.session.commit()
    # All refunded through Stripe but the manual part: the shop bore exactly that share of the fee.
    assert shop_fee_lines(acme.shop_id) == proportion(fee, total - 1000, total)
    assert account_total(Account.PROCESSOR_FEES) == fee - proportion(fee, total - 1000, total)
    assert verify_chain().ok


def test_the_operator_sets_the_policy(app, client, stripe_on, operator, sign_in):
    sign_in(operator)
    assert client.get("/admin/money/fees").status_code == 200
    assert client.post("/admin/money/fees", data={"bearer": "anyone"}).status_code == 422
    assert client.post("/admin/money/fees", data={"bearer": "shop"}).status_code == 303
    assert client.post("/admin/money/fees", data={"bearer": "shop"}).status_code == 303
    audits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "setting.refund_fee_bearer")
    ).all()
    assert len(audits) == 1 and audits[0].details == {"bearer": "shop"}
