"""A lost dispute takes the order's commissions back like a full refund (reduced before
payment, clawed back after), once; a won one takes nothing. The shop's statement names the
affiliate lines."""

from __future__ import annotations

from affiliates.models import CommissionKind, CommissionStatus
from mall.db import new_id, utcnow
from mall.extensions import db
from mall.ledger.disputes import close_dispute, freeze_share
from mall.ledger.models import Account, Dispute
from mall.orders.models import Order
from mall.payments.models import Payment, PaymentStatus
from mall.signals import dispute_lost
from tenants.context import tenant_context
from tests.affiliates.test_attribution import MALL_RATE, commissions_of, make_affiliate
from tests.affiliates.test_commissions import (
    assert_ledger_sound,
    owed,
    pay_out,
    refund,
    reload,
    run_approval,
    sold,
)

MONEY = "/shop/shop-a/admin/money/"


def disputed(shop, order_id, *, amount: int | None = None) -> Dispute:
    """A chargeback on the order's whole checkout, its share frozen (as the ledger opens one)."""
    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        payment = Payment(
            checkout_id=order.checkout_id,
            provider="stripe",
            status=PaymentStatus.SUCCEEDED,
            amount=order.total,
            currency=order.currency,
            succeeded_at=utcnow(),
        )
        db.session.add(payment)
        db.session.flush()
        dispute = Dispute(
            provider_ref=f"du_{new_id().hex[:12]}",
            checkout_id=order.checkout_id,
            payment_id=payment.id,
            amount=amount or order.total,
        )
        db.session.add(dispute)
        db.session.flush()
        freeze_share(dispute, order, dispute.amount)
    db.session.commit()
    return dispute


def close(dispute: Dispute, *, won: bool) -> bool:
    closed = close_dispute(dispute, won=won)
    db.session.commit()
    return closed


def test_a_lost_dispute_rejects_a_pending_commission_once(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    dispute = disputed(shop_a, order_id)
    assert close(dispute, won=False)
    assert (reload(shop_a, row).status, row.amount) == (CommissionStatus.REJECTED, 0)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    # A replayed closing, or the signal again, takes nothing more.
    assert not close(dispute, won=False)
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        dispute_lost.send(order, dispute_id=dispute.id, amount=order.total, disputed=order.total)
    db.session.commit()
    assert len(commissions_of(shop_a, order_id)) == 1
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert_ledger_sound()


def test_a_won_dispute_leaves_the_commission(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    assert close(disputed(shop_a, order_id), won=True)
    assert (reload(shop_a, row).status, row.amount) == (CommissionStatus.PENDING, MALL_RATE)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == MALL_RATE
    assert_ledger_sound()


def test_a_dispute_lost_after_payment_claws_back_what_is_left(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    assert run_approval(31) == 1
    pay_out(shop_a, reload(shop_a, row))
    refund(shop_a, order_id, units=1)  # a first clawback: half
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == -(MALL_RATE // 2)
    assert close(disputed(shop_a, order_id), won=False)
    clawbacks = [
        found.amount
        for found in commissions_of(shop_a, order_id)
        if found.kind is CommissionKind.CLAWBACK
    ]
    assert sorted(clawbacks) == sorted([-(MALL_RATE // 2), -(MALL_RATE - MALL_RATE // 2)])
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == -MALL_RATE
    assert_ledger_sound()


def test_the_statement_names_the_affiliate_lines(client, member_of_a, app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, _ = sold(shop_a, affiliate)
    refund(shop_a, order_id, units=1)
    with tenant_context(shop_a):
        number = db.session.get(Order, (shop_a.id, order_id)).number
    page = client.get(MONEY).get_data(as_text=True)
    assert f"Affiliate commission on order {number}" in page
    assert f"Affiliate commission reduced on order {number}" in page
    assert "Affiliate commission reduced</" in page or "Affiliate commission reduced<" in page
    csv = client.get(MONEY + "statement.csv", buffered=True).get_data(as_text=True)
    assert "Affiliate commission reduced" in csv and "Affiliate_commission" not in csv
