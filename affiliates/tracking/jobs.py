"""The click jobs: queued clicks into the table every minute (``flush_clicks``); the rollup
of today's clicks and sales every ten minutes, yesterday's once more after midnight, and
the sales of earlier days whose commissions changed since its last run."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from affiliates.models import AffiliateDailyStat
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit, job

INTERVAL = 10 * 60
FLUSH_INTERVAL = 60
FLUSH_BATCH = 5000
# A change posted just before a run may commit just after it read: look that much further
# back. Re-counting a day twice is harmless (a rollup is idempotent).
MARGIN = timedelta(minutes=10)
# Nothing rolled up yet: how far back to look for changed commissions.
LOOKBACK = timedelta(days=1)


@job(queue="maintenance", retries=0)
def flush_clicks() -> int:
    """Store up to ``FLUSH_BATCH`` queued clicks (``buffer``); a full batch continues in a
    new job. How many were kept (periodic; nothing to do without Redis)."""
    from flask import current_app

    from affiliates.tracking.buffer import click_buffer
    from affiliates.tracking.queued import store_queued

    buffer = click_buffer(current_app)
    if buffer is None:
        return 0
    with buffer.drained() as token:
        if token is None:  # another drainer is at it
            return 0
        entries = buffer.head(FLUSH_BATCH)
        kept = store_queued(entries)
        # The entries may leave the queue only once their rows are committed: a crash in
        # between stores them again, and their ids make that a no-op.
        db.session.commit()
        if entries and buffer.drop(len(entries), token=token) and len(entries) == FLUSH_BATCH:
            enqueue_after_commit(flush_clicks)
    return kept


@job(queue="maintenance", retries=0)
def roll_up_clicks() -> int:
    """Roll up today's clicks and sales; yesterday's while its last rollup predates midnight
    (its late clicks); and recount the sales of earlier days whose commissions were refunded,
    rejected or clawed back since the last run. How many affiliates' days were written
    (periodic)."""
    from affiliates.tracking.rollups import changed_sale_days, day_bounds, roll_up, roll_up_sales

    flush_clicks()  # the clicks still queued count in today's numbers
    now = utcnow()
    today = now.date()
    yesterday = today - timedelta(days=1)
    midnight = day_bounds(today)[0]
    rolled_at = AffiliateDailyStat.rolled_at
    last_run, yesterdays = db.session.execute(
        sa.select(
            sa.func.max(rolled_at),
            sa.func.max(rolled_at).filter(AffiliateDailyStat.day == yesterday),
        )
    ).one()
    written = 0
    done = {today}
    if yesterdays is None or yesterdays < midnight:
        written += roll_up(yesterday).affiliates
        done.add(yesterday)
    written += roll_up(today).affiliates
    since = (last_run or now - LOOKBACK) - MARGIN
    for day in sorted(changed_sale_days(since) - done):
        written += roll_up_sales(day)
    return written
