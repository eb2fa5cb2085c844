"""The approval job: pending commissions whose holding period ended become payable."""

from __future__ import annotations

from mall.jobs import enqueue_after_commit, job

INTERVAL = 3600


@job(retries=0)
def approve_due_commissions() -> int:
    """Approve the commissions whose hold ended and that wait for no review (hourly); a
    full batch continues in a new job, so no transaction holds the ledger for long. How
    many this batch approved."""
    from affiliates.commissions.services import approve_due

    sweep = approve_due()
    if sweep.more:
        enqueue_after_commit(approve_due_commissions)
    return sweep.approved
