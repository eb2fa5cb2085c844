"""The rollup job: today's clicks every ten minutes, yesterday's once more after midnight."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from affiliates.models import AffiliateDailyStat
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import job

INTERVAL = 10 * 60


@job(queue="maintenance", retries=0)
def roll_up_clicks() -> int:
    """Roll up today's clicks, and yesterday's while its last rollup predates midnight (its
    late clicks); how many affiliates' days were written (periodic)."""
    from affiliates.tracking.rollups import day_bounds, roll_up

    today = utcnow().date()
    yesterday = today - timedelta(days=1)
    midnight = day_bounds(today)[0]
    last = db.session.scalar(
        sa.select(sa.func.max(AffiliateDailyStat.rolled_at)).where(
            AffiliateDailyStat.day == yesterday
        )
    )
    written = 0
    if last is None or last < midnight:
        written += roll_up(yesterday).affiliates
    return written + roll_up(today).affiliates
