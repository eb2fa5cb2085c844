"""A commission's life: made once on payment, approved after its hold (or by the operator),
reduced or rejected by refunds before payment, clawed back after; each step posted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from affiliates.commissions.services import approve, approve_due, reject
from affiliates.errors import AffiliateError
from affiliates.models import (
    AffiliateCommission,
    AffiliateDailyStat,
    CommissionKind,
    CommissionStatus,
)
from affiliates.programs.settings import save_program_settings
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import run_job
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.posting import balance, credit, debit, post
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, cancel_paid_order, refund_order
from mall.signals import order_cancelled, order_paid, order_refunded
from tenants.context import tenant_context
from tests.affiliates.test_attribution import (
    MALL_RATE,
    click_entry,
    commissions_of,
    make_affiliate,
    paid_order,
)


def owed(account: Account, affiliate) -> int:
    """What the mall owes the affiliate on ``account`` (credits are negative in the ledger)."""
    return -balance(account, affiliate_id=affiliate.id)


def affiliate_entries() -> int:
    kinds = (
        EntryKind.AFFILIATE_COMMISSION,
        EntryKind.AFFILIATE_APPROVAL,
        EntryKind.AFFILIATE_REVERSAL,
    )
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind.in_(kinds))
    )


def day_stats(affiliate) -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                AffiliateDailyStat.day, AffiliateDailyStat.conversions, AffiliateDailyStat.earned
            ).where(AffiliateDailyStat.affiliate_id == affiliate.id)
        )
    ]


def assert_ledger_sound() -> None:
    assert verify_chain().ok
    unbalanced = db.session.execute(
        sa.select(LedgerLine.entry_id)
        .group_by(LedgerLine.entry_id)
        .having(sa.func.sum(LedgerLine.amount) != 0)
    ).all()
    assert unbalanced == []


def sold(shop, affiliate) -> tuple[object, AffiliateCommission]:
    order_id = paid_order(shop, referral=[click_entry(affiliate, days_ago=1)])
    (row,) = commissions_of(shop, order_id)
    return order_id, row


def refund(shop, order_id, *, units: int = 1, key: str = "r1"):
    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        made, _ = refund_order(
            order,
            RefundRequest(quantities={order.lines[0].id: units}, reason="changed mind"),
            actor_id=None,
            key=key,
        )
        refund_id = made.id
    db.session.commit()
    return refund_id


def reload(shop, row: AffiliateCommission) -> AffiliateCommission:
    with tenant_context(shop):
        db.session.refresh(row)
    return row


def run_approval(days: int) -> int:
    sweep = approve_due(now=utcnow() + timedelta(days=days))
    db.session.commit()
    assert not sweep.more
    return sweep.approved


def pay_out(shop, row: AffiliateCommission) -> None:
    """What the payouts part does when a batch takes the commission (simulated here)."""
    with tenant_context(shop):
        row.status = CommissionStatus.PAID
        row.paid_at = utcnow()
        db.session.flush()
    common = {"affiliate_id": row.affiliate_id}
    post(
        EntryKind.PAYOUT,
        [
            debit(Account.AFFILIATE_AVAILABLE, row.amount, **common),
            credit(Account.AFFILIATE_IN_TRANSIT, row.amount, **common),
        ],
        key=f"test_payout:{row.id}",
        ref_type="affiliate_payout",
        ref_id=row.id,
    )
    db.session.commit()


# ---------------------------------------------------------------- made once


def test_a_paid_order_earns_a_pending_commission_held_for_the_holding_period(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    assert (row.status, row.amount, row.original_amount, row.tier) == (
        CommissionStatus.PENDING,
        MALL_RATE,
        MALL_RATE,
        1,
    )
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        assert row.held_until == order.paid_at + timedelta(days=30)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == MALL_RATE
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == 0
    assert_ledger_sound()


def test_replayed_payment_signals_make_and_post_one_commission(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, _ = sold(shop_a, affiliate)
    entries = affiliate_entries()
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        order_paid.send(order)
        order_paid.send(order)
    db.session.commit()
    assert len(commissions_of(shop_a, order_id)) == 1
    assert affiliate_entries() == entries
    assert owed(Account.AFFILIATE_PENDING, affiliate) == MALL_RATE
    assert day_stats(affiliate) == [(utcnow().date(), 1, MALL_RATE)]


def test_the_recruiter_earns_the_second_tier_only_when_it_is_on(app_ctx, shop_a):
    recruiter = make_affiliate()
    recruit = make_affiliate(recruited_by=recruiter)
    order_id, _ = sold(shop_a, recruit)
    assert owed(Account.AFFILIATE_PENDING, recruiter) == 0
    save_program_settings({"tier2_enabled": True, "tier2_bp": 1000}, actor_id=None)
    db.session.commit()
    order_id = paid_order(shop_a, referral=[click_entry(recruit, days_ago=1)])
    first, second = commissions_of(shop_a, order_id)
    assert (first.tier, first.affiliate_id, first.amount) == (1, recruit.id, MALL_RATE)
    assert (second.tier, second.affiliate_id, second.amount) == (2, recruiter.id, 12)
    assert owed(Account.AFFILIATE_PENDING, recruiter) == 12
    # The dashboards' day: the recruit converted twice; the recruiter earned, converted nothing.
    assert day_stats(recruit) == [(utcnow().date(), 2, 2 * MALL_RATE)]
    assert day_stats(recruiter) == [(utcnow().date(), 0, 12)]
    assert_ledger_sound()


def test_a_commission_above_the_review_amount_waits_for_the_operator(app_ctx, shop_a, operator):
    save_program_settings({"review_above": 100}, actor_id=None)
    db.session.commit()
    affiliate = make_affiliate()
    _, row = sold(shop_a, affiliate)
    assert row.needs_review and row.flags == ["above review amount"]
    assert run_approval(45) == 0  # the hold is over, the review is not
    with tenant_context(shop_a):
        db.session.refresh(row)
        row.held_until = utcnow() - timedelta(days=1)  # the days pass
        db.session.flush()
        assert approve(row, actor_id=operator.id)
        assert not approve(row, actor_id=operator.id)
    db.session.commit()
    assert reload(shop_a, row).status is CommissionStatus.APPROVED
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == MALL_RATE


def test_the_operator_clears_a_review_inside_the_hold_and_the_job_approves_later(
    app_ctx, shop_a, operator
):
    save_program_settings({"review_above": 100}, actor_id=None)
    db.session.commit()
    _, row = sold(shop_a, make_affiliate())
    with tenant_context(shop_a):
        assert approve(row, actor_id=operator.id)
    db.session.commit()
    assert reload(shop_a, row).status is CommissionStatus.PENDING and not row.needs_review
    assert run_approval(31) == 1


# ---------------------------------------------------------------- the holding period


def test_the_job_approves_once_the_hold_ends_and_only_once(app_ctx, shop_a):
    affiliate = make_affiliate()
    _, row = sold(shop_a, affiliate)
    assert run_approval(29) == 0
    assert reload(shop_a, row).status is CommissionStatus.PENDING
    assert run_approval(31) == 1
    assert reload(shop_a, row).status is CommissionStatus.APPROVED
    assert run_approval(32) == 0
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == MALL_RATE
    assert_ledger_sound()


def test_the_cli_runs_the_approval_as_of_a_later_day(app, app_ctx, shop_a):
    affiliate = make_affiliate()
    sold(shop_a, affiliate)
    runner = app.test_cli_runner()
    today = utcnow().date()
    early = runner.invoke(args=["mall", "affiliates", "approve-due", "--now", today.isoformat()])
    assert early.exit_code == 0, early.output
    assert "No affiliate commission was due" in early.output
    later = (today + timedelta(days=31)).isoformat()
    result = runner.invoke(args=["mall", "affiliates", "approve-due", "--now", later])
    assert result.exit_code == 0, result.output
    assert "1 affiliate commission approved." in result.output
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == MALL_RATE
    bad = runner.invoke(args=["mall", "affiliates", "approve-due", "--now", "31/12"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_the_operator_rejects_an_unpaid_commission_once(app_ctx, shop_a, operator):
    affiliate = make_affiliate()
    _, row = sold(shop_a, affiliate)
    with tenant_context(shop_a):
        assert reject(row, actor_id=operator.id)
        assert not reject(row, actor_id=operator.id)
    db.session.commit()
    assert (reload(shop_a, row).status, row.amount) == (CommissionStatus.REJECTED, 0)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert run_approval(31) == 0
    assert_ledger_sound()


# ---------------------------------------------------------------- refunds


def test_a_partial_refund_before_payment_reduces_the_commission_in_proportion(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    refund_id = refund(shop_a, order_id, units=1)  # one of the two units
    assert (reload(shop_a, row).amount, row.original_amount) == (MALL_RATE // 2, MALL_RATE)
    assert row.status is CommissionStatus.PENDING
    assert owed(Account.AFFILIATE_PENDING, affiliate) == MALL_RATE // 2
    # The same refund announced again takes nothing more.
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        order_refunded.send(order, refund_id=refund_id, amount=1, lines=(), full=False)
    db.session.commit()
    assert reload(shop_a, row).amount == MALL_RATE // 2
    # The rest refunded: nothing is left, the commission is rejected.
    refund(shop_a, order_id, units=1, key="r2")
    assert (reload(shop_a, row).amount, row.status) == (0, CommissionStatus.REJECTED)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert run_approval(31) == 0
    assert_ledger_sound()


def test_a_refund_after_approval_comes_from_the_available_balance(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    assert run_approval(31) == 1
    refund(shop_a, order_id, units=1)
    assert reload(shop_a, row).amount == MALL_RATE // 2
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == MALL_RATE // 2
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert_ledger_sound()


def test_a_refund_after_payment_makes_a_clawback_netted_against_the_next_payout(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    assert run_approval(31) == 1
    pay_out(shop_a, reload(shop_a, row))
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == 0
    refund_id = refund(shop_a, order_id, units=1)
    rows = commissions_of(shop_a, order_id)
    (clawback,) = [found for found in rows if found.kind is CommissionKind.CLAWBACK]
    assert (clawback.amount, clawback.status, clawback.clawback_of_id) == (
        -(MALL_RATE // 2),
        CommissionStatus.APPROVED,
        row.id,
    )
    assert reload(shop_a, row).status is CommissionStatus.PAID and row.amount == MALL_RATE
    # The affiliate now owes it: the next payout is that much smaller.
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == -(MALL_RATE // 2)
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        order_refunded.send(order, refund_id=refund_id, amount=1, lines=(), full=False)
    db.session.commit()
    assert len(commissions_of(shop_a, order_id)) == 2
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == -(MALL_RATE // 2)
    assert_ledger_sound()


def test_cancelling_a_paid_order_rejects_its_commission_once(app_ctx, shop_a):
    affiliate = make_affiliate()
    order_id, row = sold(shop_a, affiliate)
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        assert cancel_paid_order(order, actor_id=None, reason="out of glaze", key="c1")
        entries = affiliate_entries()
        order_cancelled.send(order)
    db.session.commit()
    assert affiliate_entries() == entries
    assert (reload(shop_a, row).status, row.amount) == (CommissionStatus.REJECTED, 0)
    assert owed(Account.AFFILIATE_PENDING, affiliate) == 0
    assert_ledger_sound()


def test_a_paid_commission_cannot_be_rejected(app_ctx, shop_a, operator):
    _, row = sold(shop_a, make_affiliate())
    run_approval(31)
    pay_out(shop_a, reload(shop_a, row))
    with tenant_context(shop_a), pytest.raises(AffiliateError, match="paid commission"):
        reject(row, actor_id=operator.id)


def test_the_sweep_approves_in_batches(app_ctx, shop_a, shop_b):
    affiliate = make_affiliate()
    for shop in (shop_a, shop_a, shop_b):
        sold(shop, affiliate)
    later = utcnow() + timedelta(days=31)
    first = approve_due(now=later, limit=2)
    assert (first.approved, first.more) == (2, True)
    second = approve_due(now=later, limit=2)
    assert (second.approved, second.more) == (1, False)
    db.session.commit()
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == 3 * MALL_RATE
    assert_ledger_sound()


def test_the_hourly_job_approves_what_is_due(app_ctx, shop_a):
    affiliate = make_affiliate()
    _, row = sold(shop_a, affiliate)
    job = "affiliates.commissions.jobs:approve_due_commissions"
    assert run_job(job, None) == 0
    with tenant_context(shop_a):
        db.session.refresh(row)
        row.held_until = utcnow() - timedelta(minutes=1)  # the hold has just ended
        db.session.flush()
    db.session.commit()
    assert run_job(job, None) == 1
    assert owed(Account.AFFILIATE_AVAILABLE, affiliate) == MALL_RATE
