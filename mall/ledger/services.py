"""The ledger's services: posting the sales' events, verification, and what pages read.

Other domains announce; the ledger listens (``mall.ledger.subscribers``):
an order paid posts its payment with its frozen commission, an order refunded
posts the refund. Each posting is keyed by its event, so a replayed signal,
a retried webhook or a re-run job posts nothing the second time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.ledger import jobs
from mall.ledger.chain import Verification, verify_chain
from mall.ledger.errors import LedgerError
from mall.ledger.models import LedgerEntry, LedgerVerification
from mall.ledger.posting import Line, balance, balances, credit, debit, find_entry, post
from mall.ledger.sales import post_payment, post_refund

__all__ = [
    "LedgerError",
    "Line",
    "balance",
    "balances",
    "credit",
    "debit",
    "find_entry",
    "post",
    "post_payment",
    "post_refund",
]


def entry_count() -> int:
    """How many entries the ledger holds."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0)


def run_verification(*, progress: Any = None) -> Verification:
    """Recompute the chain and every entry's balance (``mall.ledger.chain.verify_chain``)."""
    return verify_chain(progress)


def record_verification(found: Verification) -> LedgerVerification:
    """Store what a verification found (the operator console shows the last one)."""
    row = LedgerVerification(
        ok=found.ok,
        entries=found.entries,
        first_broken_seq=found.first_broken_seq,
        message=found.message[:500],
    )
    db.session.add(row)
    db.session.flush()
    return row


def request_verification() -> None:
    """Verify the ledger in a job after this transaction (the console's "verify now")."""
    enqueue_after_commit(jobs.verify_ledger)


def last_verification() -> LedgerVerification | None:
    """The most recent verification, if any."""
    return db.session.scalar(
        sa.select(LedgerVerification).order_by(LedgerVerification.ran_at.desc()).limit(1)
    )
