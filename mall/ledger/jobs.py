"""The ledger's jobs: releasing orders, payout runs, transfers, reversals, Connect accounts.

Each job gets ids only and loads its rows; services are imported inside the job
(they import this module to enqueue). The wrapper commits once per job.
"""

from __future__ import annotations

from uuid import UUID

from mall.jobs import enqueue_after_commit, job


@job(retries=0)
def release_due_orders(after: str = "") -> int:
    """Release the orders whose holding period ended (periodic); continues in a new job
    after each batch, so no transaction holds the ledger for long. How many were released."""
    from mall.ledger.release import release_due

    sweep = release_due(after=UUID(after) if after else None)
    if sweep.after is not None:
        enqueue_after_commit(release_due_orders, str(sweep.after))
    return sweep.released


@job(retries=0)
def run_payouts() -> int:
    """The daily payout run (the console's button runs the same service); payouts made."""
    from mall.ledger.payouts.run import run_payouts as run

    return run().payouts


@job()
def send_payout(payout_id: str) -> bool:
    """Make one Stripe payout's transfer (in its shop's context); retried if Stripe is away."""
    from mall.ledger.payouts.manual import get_payout
    from mall.ledger.payouts.transfers import send_payout as send

    payout = get_payout(payout_id)
    return payout is not None and send(payout)


@job()
def reverse_transfers_after_refund(refund_id: str) -> int:
    """Ask Stripe to take a refunded part back from the order's transfer; how many asked."""
    from mall.ledger.payouts.transfers import reverse_after_refund
    from mall.orders.refunds import get_refund

    refund = get_refund(refund_id)
    return 0 if refund is None else len(reverse_after_refund(refund))


@job(queue="maintenance", retries=0)
def sync_connect_accounts() -> int:
    """Poll Stripe for the connected accounts heard from longest ago (periodic)."""
    from mall.ledger.connect import sync_accounts

    return sync_accounts()


@job()
def sync_connect_account(account_id: str) -> bool:
    """Ask Stripe for one connected account's state (after a shop sets or refreshes it)."""
    from mall.extensions import db
    from mall.ledger.connect import sync_account
    from mall.ledger.models import PayoutAccount

    account = db.session.get(PayoutAccount, UUID(str(account_id)))
    return account is not None and sync_account(account)


@job(queue="maintenance", retries=0)
def verify_ledger() -> bool:
    """Recompute the hash chain and every balance (daily, or the console's "verify now");
    the result is stored for the console. True when the ledger checks out."""
    from mall.ledger.services import record_verification, run_verification

    found = run_verification()
    record_verification(found)
    return found.ok


@job(queue="maintenance", retries=0)
def make_balance_checkpoints() -> int:
    """Checkpoint the balances that moved since the last round (daily); how many were made."""
    from mall.ledger.checkpoints import make_checkpoints

    return make_checkpoints()
