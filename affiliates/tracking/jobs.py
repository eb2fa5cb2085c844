"""The rollup job: today's clicks and sales every ten minutes, yesterday's once more after
midnight, and the sales of earlier days whose commissions changed since its last run."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from affiliates.models import AffiliateDailyStat
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import job

INTERVAL = 10 * 60
# A change posted just before a run may commit just after it read: look that much further
# back. Re-counting a day twice is harmless (a rollup is idempotent).
MARGIN = timedelta(minutes=10)
# Nothing rolled up yet: how far back to look for changed commissions.
LOOKBACK = timedelta(days=1)


@job(queue="maintenance", retries=0)
def roll_up_clicks() -> int:
    """Roll up today's clicks and sales; yesterday's while its last rollup predates midnight
    (its late clicks); and recount the sales of earlier days whose commissions were refunded,
    rejected or clawed back since the last run. How many affiliates' days were written
    (periodic)."""
    from affiliates.tracking.rollups import changed_sale_days, day_bounds, roll_up, roll_up_sales

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
