"""Affiliate payouts through the services: the minimum, one batch per key, the ledger (balanced,
chained), the PayPal CSV, marking paid once, a failed payout giving the money back, clawbacks
netted, and the Stripe transfers (through the Stripe stub).

The helpers make approved commissions as the commissions part posts them (attributed, then
approved; a clawback straight to available); ``test_payouts_pages.py`` imports them."""

from __future__ import annotations

import io
from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from affiliates.applications import services as applications
from affiliates.errors import AffiliateError
from affiliates.models import (
    AffiliateCommission,
    AffiliatePayout,
    AffiliatePayoutBatch,
    AffiliatePayoutStatus,
    BatchStatus,
    CommissionKind,
    CommissionStatus,
    PayoutMethod,
    RateKind,
    Source,
)
from affiliates.payouts import queries, services
from affiliates.payouts.entries import reference
from mall.csvsafe import reader
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerLine
from mall.ledger.posting import balance, credit, debit, post
from tenants.context import all_tenants, tenant_context
from tenants.models import AuditEvent
from tenants.settings import put_setting
from tests.crawl.orders import make_order
from tests.support import stripe_checkout as stripe

ANSWERS = {
    "website": "https://blog.example.org/tools",
    "promotion": "Reviews of hand tools.",
    "payout_method": "paypal",
}


def an_affiliate(make_user, code: str, *, email: str | None = None, stripe: str | None = None):
    """An approved affiliate paid by PayPal at ``email`` (or Stripe at ``stripe``)."""
    user = make_user()
    row = applications.apply(
        user, **ANSWERS, payout_email=email or f"{code.lower()}@pay.example.net"
    )
    assert applications.approve(row, actor_id=None, code=code)
    row.stripe_account_id = stripe
    row.stripe_transfers_active = stripe is not None  # Stripe enabled its transfers
    db.session.commit()
    return row


def _commission(
    shop, affiliate, amount: int, kind: CommissionKind, order_id
) -> AffiliateCommission:
    row = AffiliateCommission(
        order_id=order_id,
        affiliate_id=affiliate.id,
        kind=kind,
        source=Source.CLICK,
        rule="mall",
        rate_kind=RateKind.PERCENT,
        rate_bp=1000,
        base=abs(amount) * 10,
        original_amount=amount,
        amount=amount,
        status=CommissionStatus.APPROVED,
        held_until=utcnow() - timedelta(days=1),
        decided_at=utcnow(),
        event_key=f"refund:{uuid4().hex}" if kind is CommissionKind.CLAWBACK else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def earn(shop, affiliate, amount: int) -> AffiliateCommission:
    """An approved sale commission of ``amount``, posted pending then available."""
    order_id = make_order(shop)
    with tenant_context(shop):
        row = _commission(shop, affiliate, amount, CommissionKind.SALE, order_id)
        post(
            EntryKind.ADJUSTMENT,
            [
                debit(Account.SHOP_PENDING, amount, shop_id=shop.id),
                credit(Account.AFFILIATE_PENDING, amount, affiliate_id=affiliate.id),
            ],
            key=f"affiliate:{row.id}",
            ref_type="affiliate_commission",
            ref_id=row.id,
            shop_id=shop.id,
        )
        post(
            EntryKind.ADJUSTMENT,
            [
                debit(Account.AFFILIATE_PENDING, amount, affiliate_id=affiliate.id),
                credit(Account.AFFILIATE_AVAILABLE, amount, affiliate_id=affiliate.id),
            ],
            key=f"affiliate_approve:{row.id}",
            ref_type="affiliate_commission",
            ref_id=row.id,
            shop_id=shop.id,
        )
    db.session.commit()
    return row


def claw_back(shop, affiliate, amount: int) -> AffiliateCommission:
    """A clawback of ``amount`` (a refund after payment): approved at once, Dr available."""
    order_id = make_order(shop)
    with tenant_context(shop):
        row = _commission(shop, affiliate, -amount, CommissionKind.CLAWBACK, order_id)
        post(
            EntryKind.ADJUSTMENT,
            [
                debit(Account.AFFILIATE_AVAILABLE, amount, affiliate_id=affiliate.id),
                credit(Account.SHOP_AVAILABLE, amount, shop_id=shop.id),
            ],
            key=f"affiliate_clawback:{row.id}",
            ref_type="affiliate_commission",
            ref_id=row.id,
            shop_id=shop.id,
        )
    db.session.commit()
    return row


def commissions_of(affiliate) -> list[AffiliateCommission]:
    db.session.expire_all()
    with all_tenants("test: an affiliate's commissions"):
        return list(
            db.session.scalars(
                sa.select(AffiliateCommission)
                .where(AffiliateCommission.affiliate_id == affiliate.id)
                .order_by(AffiliateCommission.created_at)
            )
        )


def available(affiliate) -> int:
    return -balance(Account.AFFILIATE_AVAILABLE, affiliate_id=affiliate.id)


def in_transit(affiliate) -> int:
    return -balance(Account.AFFILIATE_IN_TRANSIT, affiliate_id=affiliate.id)


# ---------------------------------------------------------------- tests

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


def batch(key: str = "k1"):
    result = services.make_batch(batch_key=key, actor_id=None)
    db.session.commit()
    return result


def payouts_in(made) -> list[AffiliatePayout]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AffiliatePayout)
            .where(AffiliatePayout.batch_id == made.id)
            .order_by(AffiliatePayout.amount.desc())
        )
    )


def ledger_sums_to_zero() -> bool:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0))) == 0


def test_only_approved_affiliates_at_the_minimum_are_payable(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 5000)
    rich = an_affiliate(make_user, "RICH-1")
    short = an_affiliate(make_user, "SHORT-1")
    gone = an_affiliate(make_user, "GONE-1")
    earn(shop_a, rich, 5000)
    earn(shop_a, short, 4999)
    earn(shop_a, gone, 9000)
    assert applications.suspend(gone, actor_id=None)
    db.session.commit()
    payable = queries.payable_affiliates()
    assert [(row.affiliate.code, row.amount, row.method) for row in payable] == [
        ("RICH-1", 5000, PayoutMethod.PAYPAL)
    ]
    made = batch().batch
    assert [(p.affiliate_id, p.amount) for p in payouts_in(made)] == [(rich.id, 5000)]
    assert available(short) == 4999 and available(gone) == 9000
    assert queries.payable_affiliates() == []
    with pytest.raises(AffiliateError, match="No affiliate can be paid"):
        services.make_batch(batch_key="k2", actor_id=None)


def test_a_batch_is_made_once_per_key_and_the_ledger_balances(app_ctx, make_user, shop_a, operator):
    put_setting("affiliates.min_payout", 1000)
    ada = an_affiliate(make_user, "ADA-1")
    first, second = earn(shop_a, ada, 1200), earn(shop_a, ada, 800)
    made = services.make_batch(batch_key="same", actor_id=operator.id)
    again = services.make_batch(batch_key="same", actor_id=operator.id)  # a double click
    db.session.commit()
    assert made.made and not again.made and again.batch.id == made.batch.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AffiliatePayoutBatch)) == 1
    (payout,) = payouts_in(made.batch)
    assert payout.amount == 2000 and payout.method is PayoutMethod.PAYPAL
    assert payout.status is AffiliatePayoutStatus.IN_TRANSIT and made.batch.total == 2000
    assert available(ada) == 0 and in_transit(ada) == 2000
    rows = commissions_of(ada)
    assert {row.id for row in rows} == {first.id, second.id}
    assert all(r.status is CommissionStatus.PAID and r.payout_id == payout.id for r in rows)
    assert all(row.paid_at is not None for row in rows)
    assert [c.id for c in queries.commissions_of(payout)] == [first.id, second.id]
    assert ledger_sums_to_zero() and verify_chain().ok
    audited = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "affiliate_payouts.batch_made")
    ).all()
    assert len(audited) == 1 and audited[0].actor_id == operator.id
    assert audited[0].details["total"] == 2000


def test_a_clawback_nets_against_the_next_payout(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    ada = an_affiliate(make_user, "ADA-2")
    sale = earn(shop_a, ada, 3000)
    clawback = claw_back(shop_a, ada, 500)
    (payout,) = payouts_in(batch().batch)
    assert payout.amount == 2500
    rows = {row.id: row for row in commissions_of(ada)}
    assert rows[sale.id].payout_id == payout.id and rows[clawback.id].payout_id == payout.id
    assert rows[clawback.id].status is CommissionStatus.PAID and rows[clawback.id].amount == -500
    assert ledger_sums_to_zero() and verify_chain().ok


def test_the_paypal_csv_lists_what_to_pay_and_runs_no_formula(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    plain = an_affiliate(make_user, "PLAIN-1", email="plain@pay.example.net")
    tricky = an_affiliate(make_user, "TRICKY-1")
    tricky.payout_email = '=HYPERLINK("https://evil.example")@x.example'
    db.session.commit()
    earn(shop_a, plain, 123456)
    earn(shop_a, tricky, 1000)
    made = batch().batch
    big, small = payouts_in(made)
    text = queries.batch_csv(made)
    lines = text.split("\r\n")
    # No header row: PayPal reads the first row as a payment.
    assert lines[0] == f"plain@pay.example.net,1234.56,USD,{reference(big)},{queries.CSV_NOTE}"
    assert lines[1].startswith("\"'=HYPERLINK(")  # shown as text, never run
    assert len(reference(big)) <= 30 and " " not in reference(big)  # PayPal's unique id
    assert [row[0] for row in reader(io.StringIO(text))] == [
        "plain@pay.example.net",
        '=HYPERLINK("https://evil.example")@x.example',
    ]
    assert services.fail_payout(small, reason="bad address", actor_id=None)
    db.session.commit()
    assert len(queries.batch_csv(made).strip().split("\r\n")) == 1  # the failed one left


def test_marking_the_batch_paid_posts_each_payout_once(app_ctx, make_user, shop_a, operator):
    put_setting("affiliates.min_payout", 1000)
    ada, bea = an_affiliate(make_user, "ADA-3"), an_affiliate(make_user, "BEA-3")
    earn(shop_a, ada, 4000)
    earn(shop_a, bea, 1500)
    made = batch().batch
    assert services.mark_batch_paid(made, actor_id=operator.id) == 2
    db.session.commit()
    assert services.mark_batch_paid(made, actor_id=operator.id) == 0  # the second click
    db.session.commit()
    assert all(p.status is AffiliatePayoutStatus.PAID and p.paid_at for p in payouts_in(made))
    db.session.refresh(made)
    assert made.status is BatchStatus.CLOSED and made.closed_at is not None
    assert in_transit(ada) == 0 and in_transit(bea) == 0 and available(ada) == 0
    paid_entries = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerLine)
        .where(LedgerLine.kind == "affiliate_payout_paid", LedgerLine.amount < 0)
    )
    assert paid_entries == 2
    assert ledger_sums_to_zero() and verify_chain().ok


def test_a_failed_payout_gives_the_money_back_for_the_next_batch(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    ada, bea = an_affiliate(make_user, "ADA-4"), an_affiliate(make_user, "BEA-4")
    sale = earn(shop_a, ada, 2000)
    earn(shop_a, bea, 3000)
    made = batch().batch
    _, ada_payout = payouts_in(made)
    assert services.fail_payout(ada_payout, reason="PayPal: unknown receiver", actor_id=None)
    assert not services.fail_payout(ada_payout, reason="again", actor_id=None)  # once
    db.session.commit()
    assert ada_payout.status is AffiliatePayoutStatus.FAILED
    assert ada_payout.failure == "PayPal: unknown receiver"
    assert available(ada) == 2000 and in_transit(ada) == 0
    (row,) = commissions_of(ada)
    assert row.status is CommissionStatus.APPROVED and row.payout_id is None and not row.paid_at
    db.session.refresh(made)
    assert made.total == 3000 and made.status is BatchStatus.OPEN  # Bea is still in transit
    assert services.mark_batch_paid(made, actor_id=None) == 1
    db.session.commit()
    db.session.refresh(made)
    assert made.status is BatchStatus.CLOSED
    (again,) = payouts_in(batch("next").batch)
    assert again.affiliate_id == ada.id and again.amount == 2000
    (row,) = commissions_of(ada)
    assert row.id == sale.id and row.payout_id == again.id and row.status is CommissionStatus.PAID
    # Paid, then it came back (unclaimed): returned, the money owed to the affiliate again.
    assert services.mark_batch_paid(again_batch := queries.get_batch(again.batch_id), actor_id=None)
    assert services.fail_payout(again, reason="unclaimed", actor_id=None)
    db.session.commit()
    assert again_batch.status is BatchStatus.CLOSED
    assert available(ada) == 2000 and in_transit(ada) == 0
    assert ledger_sums_to_zero() and verify_chain().ok


def test_an_affiliate_without_payout_details_that_work_waits(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    ada = an_affiliate(make_user, "ADA-5", stripe="acct_1Ada")  # Stripe is not configured
    earn(shop_a, ada, 2000)
    (row,) = queries.payable_affiliates()
    assert row.method is None and row.blocked == "Stripe is not configured"
    with pytest.raises(AffiliateError, match="payout details that work"):
        services.make_batch(batch_key="k", actor_id=None)
    assert available(ada) == 2000


def test_stripe_affiliates_are_paid_by_a_transfer_once(app_ctx, make_user, shop_a, stripe_on):
    put_setting("affiliates.min_payout", 1000)
    stripe_on.account("acct_1AdaOk")
    ada = an_affiliate(make_user, "ADA-6", stripe="acct_1AdaOk")
    bea = an_affiliate(make_user, "BEA-6", stripe="acct_1Missing")  # Stripe refuses it
    cy = an_affiliate(make_user, "CY-6")  # PayPal
    earn(shop_a, ada, 2500)
    earn(shop_a, bea, 1800)
    earn(shop_a, cy, 1100)
    made = batch().batch  # the commit runs the transfer jobs (inline)
    by_code = {p.affiliate_id: p for p in payouts_in(made)}
    paid, refused, paypal = by_code[ada.id], by_code[bea.id], by_code[cy.id]
    assert paid.method is PayoutMethod.STRIPE and paid.status is AffiliatePayoutStatus.PAID
    transfer = stripe_on.transfers[paid.transfer_id]
    assert transfer["amount"] == 2500 and transfer["destination"] == "acct_1AdaOk"
    sent = [r for r in stripe_on.requests if r.path == "/v1/transfers"]
    assert f"mall-affiliate-payout-{paid.id.hex}-transfer" in {r.idempotency_key for r in sent}
    assert refused.status is AffiliatePayoutStatus.FAILED and "Stripe refused" in refused.failure
    assert available(bea) == 1800 and commissions_of(bea)[0].status is CommissionStatus.APPROVED
    assert available(ada) == 0 and in_transit(ada) == 0
    assert paypal.status is AffiliatePayoutStatus.IN_TRANSIT
    assert "acct_1" not in queries.batch_csv(made) and "cy-6@" in queries.batch_csv(made)
    with pytest.raises(AffiliateError, match="through Stripe"):
        services.fail_payout(paid, reason="no", actor_id=None)
    # The job again (a retry): nothing is sent twice.
    from affiliates.payouts.transfers import send_transfer

    assert send_transfer(paid) is False
    assert len([r for r in stripe_on.requests if r.path == "/v1/transfers"]) == len(sent)
    assert ledger_sums_to_zero() and verify_chain().ok


def test_the_affiliate_reads_their_own_payouts(app_ctx, make_user, shop_a):
    put_setting("affiliates.min_payout", 1000)
    ada, bea = an_affiliate(make_user, "ADA-7"), an_affiliate(make_user, "BEA-7")
    earn(shop_a, ada, 1000)
    earn(shop_a, bea, 1000)
    first = batch("one").batch
    earn(shop_a, ada, 2000)
    batch("two")
    page = queries.payouts_of(ada, 1)
    assert [p.amount for p in page.items] == [2000, 1000] and page.total == 2
    assert all(p.affiliate_id == ada.id for p in page.items)
    assert queries.payouts_of(bea, 1).total == 1
    assert first.total == 2000


def test_bad_keys_are_refused(app_ctx):
    for key in ("", "   ", "x" * 65):
        with pytest.raises(AffiliateError, match="form expired"):
            services.make_batch(batch_key=key, actor_id=None)
