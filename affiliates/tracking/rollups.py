"""Daily rollups of the clicks: what the affiliate's dashboard reads, whatever the clicks.

``roll_up(day)`` counts the day's clicks per affiliate in the database (set-based
SQL: the query count does not grow with the clicks) and upserts them into
``affiliate_daily_stats`` (its click columns only: conversions and earnings are the
commissions' to fill) and ``affiliate_daily_pages``. Running it again gives the same
rows, so the job may roll up today every few minutes.

- ``clicks``: people's clicks (bots apart), bursts included; ``bot_clicks``: the bots'.
- ``visitors``: distinct IP indexes among people's clicks.
- ``discounted_clicks``: of people's clicks from one IP index in one window of
  ``burst_minutes`` (windows aligned on the clock), those beyond the first
  ``burst_clicks``. Fixed windows are an approximation of a sliding one (a burst that
  straddles two windows may pass up to twice the limit); they keep it one GROUP BY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from affiliates.models import AffiliateClick, AffiliateDailyPage, AffiliateDailyStat, AgentClass
from affiliates.programs.settings import program_settings
from mall.db import utcnow
from mall.extensions import db

BATCH = 1000  # rows per upsert statement (and per step of the CLI's progress bar)
Progress = Callable[[int, int], None]  # (rows just written, rows in all)


@dataclass(frozen=True)
class Rolled:
    """What one rollup wrote."""

    day: date
    affiliates: int
    pages: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def roll_up(day: date, *, on_progress: Progress | None = None) -> Rolled:
    """Count ``day``'s clicks per affiliate and landing path into the daily tables; flushes.

    Idempotent: a second run over the same clicks writes the same numbers.
    """
    settings = program_settings()
    stats = _stats(day, burst_clicks=settings.burst_clicks, burst_minutes=settings.burst_minutes)
    pages = _pages(day)
    total = len(stats) + len(pages)
    now = utcnow()
    for start in range(0, len(stats), BATCH):
        chunk = stats[start : start + BATCH]
        _upsert_stats([{**row, "day": day, "rolled_at": now} for row in chunk])
        if on_progress is not None:
            on_progress(len(chunk), total)
    # The day's pages are the rollup's alone: replaced whole.
    db.session.execute(sa.delete(AffiliateDailyPage).where(AffiliateDailyPage.day == day))
    for start in range(0, len(pages), BATCH):
        chunk = pages[start : start + BATCH]
        db.session.execute(sa.insert(AffiliateDailyPage), [{**row, "day": day} for row in chunk])
        if on_progress is not None:
            on_progress(len(chunk), total)
    db.session.flush()
    return Rolled(day=day, affiliates=len(stats), pages=len(pages))


def _of_the_day(day: date) -> Any:
    start, end = day_bounds(day)
    return sa.and_(AffiliateClick.clicked_at >= start, AffiliateClick.clicked_at < end)


def _stats(day: date, *, burst_clicks: int, burst_minutes: int) -> list[dict[str, Any]]:
    """Per affiliate: clicks, bot clicks, visitors and discounted clicks (two queries)."""
    person = AffiliateClick.agent != AgentClass.BOT
    totals = db.session.execute(
        sa.select(
            AffiliateClick.affiliate_id,
            sa.func.count().filter(person).label("clicks"),
            sa.func.count().filter(sa.not_(person)).label("bot_clicks"),
            sa.func.count(sa.distinct(AffiliateClick.ip_index)).filter(person).label("visitors"),
        )
        .where(_of_the_day(day))
        .group_by(AffiliateClick.affiliate_id)
    ).all()
    window = _window(AffiliateClick.clicked_at, burst_minutes * 60)
    bursts = (
        sa.select(AffiliateClick.affiliate_id, sa.func.count().label("n"))
        .where(_of_the_day(day), person, AffiliateClick.ip_index.is_not(None))
        .group_by(AffiliateClick.affiliate_id, AffiliateClick.ip_index, window)
        .having(sa.func.count() > burst_clicks)
        .subquery()
    )
    discounted = dict(
        db.session.execute(
            sa.select(bursts.c.affiliate_id, sa.func.sum(bursts.c.n - burst_clicks)).group_by(
                bursts.c.affiliate_id
            )
        ).all()
    )
    return [
        {
            "affiliate_id": row.affiliate_id,
            "clicks": row.clicks,
            "bot_clicks": row.bot_clicks,
            "visitors": row.visitors,
            "discounted_clicks": int(discounted.get(row.affiliate_id) or 0),
        }
        for row in totals
    ]


def _pages(day: date) -> list[dict[str, Any]]:
    """People's clicks per affiliate and landing path."""
    rows = db.session.execute(
        sa.select(AffiliateClick.affiliate_id, AffiliateClick.landing_path, sa.func.count())
        .where(_of_the_day(day), AffiliateClick.agent != AgentClass.BOT)
        .group_by(AffiliateClick.affiliate_id, AffiliateClick.landing_path)
    ).all()
    return [{"affiliate_id": a, "path": path, "clicks": n} for a, path, n in rows]


def _window(column: Any, seconds: int) -> Any:
    """The number of the clock-aligned window of ``seconds`` a timestamp falls in."""
    if db.session.get_bind().dialect.name == "postgresql":
        epoch = sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)
    else:
        epoch = sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return epoch // seconds


def _upsert_stats(rows: list[dict[str, Any]]) -> None:
    """Insert or update the click columns of (affiliate, day) rows, in one statement."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(AffiliateDailyStat)
    columns = ("clicks", "bot_clicks", "visitors", "discounted_clicks", "rolled_at")
    statement = insert.on_conflict_do_update(
        index_elements=["affiliate_id", "day"],
        set_={name: insert.excluded[name] for name in columns},
    )
    db.session.execute(statement, rows)
