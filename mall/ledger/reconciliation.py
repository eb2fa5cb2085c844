"""The daily reconciliation: what the ledger says the processor holds, per checkout, against
what the payment records say it received.

Per checkout and per component:

- payment: the ledger's ``processor`` lines of payment entries, against the
  succeeded payments' amounts (Stripe and the test provider; bank transfers and
  offline cards have no processor side);
- refund: the ``processor`` lines of refund entries (unattributed ones included),
  against the payment refunds not failed (pending ones count: the money is gone);
- dispute: the ``processor`` lines of dispute entries (opened, won, returned short),
  against the disputes not won (a dispute won in part shows the part kept: the payment
  records hold no amount reinstated);
- fee: the ``processor`` lines of fee entries, against the fees Stripe reported.

The ledger's lines are found through their orders (``order_id``) or, for entries
about the whole checkout (an unattributed refund), through the entry's reference.
Every difference is stored with the run and listed for the operator; nothing is
ever corrected here: a correction is a new entry someone decides to post.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.ledger.models import (
    Account,
    Dispute,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    ReconciliationDifference,
    ReconciliationRun,
)
from mall.money import format_money
from mall.orders.models import Order
from mall.pagination import Page, paginate
from mall.payments.models import Payment, PaymentRefund, PaymentStatus, RefundStatus
from mall.payments.providers import PLATFORM_PROVIDERS
from tenants.context import all_tenants

COMPONENT = {
    EntryKind.PAYMENT: "payment",
    EntryKind.REFUND: "refund",
    EntryKind.UNATTRIBUTED_REFUND: "refund",
    EntryKind.DISPUTE: "dispute",
    EntryKind.DISPUTE_WON: "dispute",
    EntryKind.DISPUTE_LOST: "dispute",  # what Stripe returned short of a settled win
    EntryKind.FEE: "fee",
}
COMPONENTS = ("payment", "refund", "dispute", "fee")
MONEY_GONE = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)

Totals = dict[tuple[UUID, str], int]


# ---------------------------------------------------------------- the ledger's side


def ledger_totals() -> Totals:
    """(checkout, component) -> the sum of the ledger's processor lines."""
    totals: Totals = defaultdict(int)
    kinds = list(COMPONENT)
    by_order = (
        sa.select(Order.checkout_id, LedgerEntry.kind, sa.func.sum(LedgerLine.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .join(Order, Order.id == LedgerLine.order_id)
        .where(LedgerLine.account == Account.PROCESSOR, LedgerEntry.kind.in_(kinds))
        .group_by(Order.checkout_id, LedgerEntry.kind)
    )
    with all_tenants("ledger reconciliation: which checkout each order's processor lines are of"):
        rows = db.session.execute(by_order).all()
    for checkout_id, kind, amount in rows:
        totals[(checkout_id, COMPONENT[EntryKind(kind)])] += int(amount)
    by_reference = (
        sa.select(LedgerEntry.ref_id, LedgerEntry.kind, sa.func.sum(LedgerLine.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerLine.account == Account.PROCESSOR,
            LedgerLine.order_id.is_(None),
            LedgerEntry.ref_type == "checkout",
            LedgerEntry.kind.in_(kinds),
        )
        .group_by(LedgerEntry.ref_id, LedgerEntry.kind)
    )
    for ref_id, kind, amount in db.session.execute(by_reference):
        totals[(UUID(ref_id), COMPONENT[EntryKind(kind)])] += int(amount)
    return totals


# ---------------------------------------------------------------- the provider's side


def provider_totals() -> Totals:
    """(checkout, component) -> what the payment records say, signed as the ledger signs it."""
    totals: Totals = defaultdict(int)
    processed = Payment.provider.in_(PLATFORM_PROVIDERS)
    payments = (
        sa.select(Payment.checkout_id, sa.func.sum(Payment.amount))
        .where(processed, Payment.status == PaymentStatus.SUCCEEDED)
        .group_by(Payment.checkout_id)
    )
    for checkout_id, amount in db.session.execute(payments):
        totals[(checkout_id, "payment")] += int(amount)
    refunds = (
        sa.select(Payment.checkout_id, sa.func.sum(PaymentRefund.amount))
        .join(Payment, Payment.id == PaymentRefund.payment_id)
        .where(processed, PaymentRefund.status.in_(MONEY_GONE))
        .group_by(Payment.checkout_id)
    )
    for checkout_id, amount in db.session.execute(refunds):
        totals[(checkout_id, "refund")] -= int(amount)
    disputes = (
        sa.select(Dispute.checkout_id, sa.func.sum(Dispute.amount))
        .where(Dispute.status != DisputeStatus.WON)
        .group_by(Dispute.checkout_id)
    )
    for checkout_id, amount in db.session.execute(disputes):
        totals[(checkout_id, "dispute")] -= int(amount)
    fees = (
        sa.select(Payment.checkout_id, sa.func.sum(Payment.fee))
        .where(processed, Payment.fee.is_not(None))
        .group_by(Payment.checkout_id)
    )
    for checkout_id, amount in db.session.execute(fees):
        totals[(checkout_id, "fee")] -= int(amount)
    return totals


# ---------------------------------------------------------------- the run


def _note(component: str, ledger: int, provider: int) -> str:
    if ledger == 0:
        return f"The ledger has no {component} the payment records show."
    if provider == 0:
        return f"The payment records show no {component} the ledger has."
    return f"The ledger and the payment records differ by {format_money(abs(ledger - provider))}."


def reconcile() -> ReconciliationRun:
    """Compare every checkout's ledger and payment records; store the run and each difference.

    Never posts or changes anything else: differences are for a person to look into.
    """
    ledger, provider = ledger_totals(), provider_totals()
    keys = set(ledger) | set(provider)
    run = ReconciliationRun(
        ran_at=utcnow(), checkouts=len({checkout_id for checkout_id, _ in keys})
    )
    db.session.add(run)
    db.session.flush()
    found = 0
    for checkout_id, component in sorted(keys, key=lambda key: (str(key[0]), key[1])):
        ours = ledger.get((checkout_id, component), 0)
        theirs = provider.get((checkout_id, component), 0)
        if ours == theirs:
            continue
        found += 1
        db.session.add(
            ReconciliationDifference(
                run_id=run.id,
                checkout_id=checkout_id,
                kind=component,
                ledger_amount=ours,
                provider_amount=theirs,
                note=_note(component, ours, theirs),
            )
        )
    run.differences = found
    db.session.flush()
    return run


@job(queue="maintenance")
def reconcile_daily() -> None:
    """The periodic job: one reconciliation run (committed by the job wrapper)."""
    reconcile()


def request_run() -> None:
    """Run a reconciliation once this transaction commits (the operator's "Run now")."""
    enqueue_after_commit(reconcile_daily)


# ---------------------------------------------------------------- what the operator reads


def last_run() -> ReconciliationRun | None:
    """The most recent run, if any."""
    return db.session.scalar(
        sa.select(ReconciliationRun).order_by(ReconciliationRun.ran_at.desc()).limit(1)
    )


def differences(run: ReconciliationRun, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of a run's differences (checkout id, component, both amounts, a note)."""
    statement = (
        sa.select(ReconciliationDifference)
        .where(ReconciliationDifference.run_id == run.id)
        .order_by(ReconciliationDifference.checkout_id, ReconciliationDifference.kind)
    )
    return paginate(statement, page=page, per_page=per_page)
