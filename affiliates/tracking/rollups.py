"""Daily rollups of the clicks and the sales: what the affiliate's dashboard reads, whatever
the clicks.

``roll_up(day)`` counts the day's clicks per affiliate in the database (set-based
SQL: the query count does not grow with the clicks) and recounts the day's sales from
their commissions as they stand now, then upserts both into ``affiliate_daily_stats``
and the clicks per landing path into ``affiliate_daily_pages``. Running it again gives
the same rows, so the job may roll up today every few minutes.

- ``clicks``: people's clicks (bots apart), bursts included; ``bot_clicks``: the bots'.
- ``visitors``: distinct IP indexes among people's clicks.
- ``discounted_clicks``: of people's clicks from one IP index in one window of
  ``burst_minutes`` (windows aligned on the clock), those beyond the first
  ``burst_clicks``. Fixed windows are an approximation of a sliding one (a burst that
  straddles two windows may pass up to twice the limit); they keep it one GROUP BY.
- ``conversions``: the day's tier-1 sales still worth something (not rejected, not
  refunded in full); ``earned``: what the day's tier-1 and tier-2 commissions are worth
  now (after refunds and clawbacks). A sale's day is its order's payment day, as when
  ``affiliates.commissions.stats`` counted it at the sale.

A refund or a rejection changes an older day's sales: ``changed_sale_days`` finds those
days from the ledger (every change to a commission's worth posts an entry naming its
order) and ``roll_up_sales(day)`` recounts them, the clicks left as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from affiliates.models import (
    AffiliateClick,
    AffiliateCommission,
    AffiliateDailyPage,
    AffiliateDailyStat,
    AgentClass,
)
from affiliates.programs.settings import program_settings
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.models import EntryKind, LedgerEntry, LedgerLine
from mall.orders.models import Order
from tenants.context import all_tenants

BATCH = 1000  # rows per upsert statement (and per step of the CLI's progress bar)
CLICK_COLUMNS = ("clicks", "bot_clicks", "visitors", "discounted_clicks")
SALE_COLUMNS = ("conversions", "earned")
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
    """Count ``day``'s clicks per affiliate and landing path, and its sales as their
    commissions stand now, into the daily tables; flushes.

    Idempotent: a second run over the same clicks and commissions writes the same numbers.
    """
    settings = program_settings()
    clicks = _stats(day, burst_clicks=settings.burst_clicks, burst_minutes=settings.burst_minutes)
    sales = _sales(day)
    # An affiliate with sales and no clicks that day still gets the day's row.
    by_affiliate = {
        affiliate_id: {"affiliate_id": affiliate_id, **dict.fromkeys(CLICK_COLUMNS, 0)}
        for affiliate_id in sales
    }
    by_affiliate.update((row["affiliate_id"], row) for row in clicks)
    stats = [{**row, **_sale_columns(sales, row["affiliate_id"])} for row in by_affiliate.values()]
    pages = _pages(day)
    total = len(stats) + len(pages)
    now = utcnow()
    for start in range(0, len(stats), BATCH):
        chunk = stats[start : start + BATCH]
        _upsert_stats(
            [{**row, "day": day, "rolled_at": now} for row in chunk],
            columns=(*CLICK_COLUMNS, *SALE_COLUMNS),
        )
        if on_progress is not None:
            on_progress(len(chunk), total)
    _clear_sales_gone(day, keep=set(sales))
    # The day's pages are the rollup's alone: replaced whole.
    db.session.execute(sa.delete(AffiliateDailyPage).where(AffiliateDailyPage.day == day))
    for start in range(0, len(pages), BATCH):
        chunk = pages[start : start + BATCH]
        db.session.execute(sa.insert(AffiliateDailyPage), [{**row, "day": day} for row in chunk])
        if on_progress is not None:
            on_progress(len(chunk), total)
    db.session.flush()
    return Rolled(day=day, affiliates=len(stats), pages=len(pages))


def roll_up_sales(day: date) -> int:
    """Recount ``day``'s sales (conversions and earnings, as their commissions stand now)
    into the daily stats, its clicks untouched; how many affiliates' rows were written.
    Flushes; idempotent."""
    sales = _sales(day)
    now = utcnow()
    rows = [
        {"affiliate_id": affiliate_id, "day": day, "rolled_at": now}
        | _sale_columns(sales, affiliate_id)
        for affiliate_id in sales
    ]
    for start in range(0, len(rows), BATCH):
        _upsert_stats(rows[start : start + BATCH], columns=SALE_COLUMNS)
    _clear_sales_gone(day, keep=set(sales))
    db.session.flush()
    return len(rows)


def changed_sale_days(since: datetime) -> set[date]:
    """The days of the sales whose commissions were made, reduced, rejected or clawed back
    since ``since``: each such change posts a ledger entry whose lines name the order."""
    kinds = (EntryKind.AFFILIATE_COMMISSION, EntryKind.AFFILIATE_REVERSAL)
    query = (
        sa.select(Order.paid_at)
        .distinct()
        .select_from(LedgerEntry)
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .join(
            Order,
            sa.and_(Order.tenant_id == LedgerEntry.shop_id, Order.id == LedgerLine.order_id),
        )
        .where(
            LedgerEntry.posted_at >= since,
            LedgerEntry.kind.in_(kinds),
            Order.paid_at.is_not(None),
        )
    )
    with all_tenants("affiliate rollups: the payment days of orders whose commissions changed"):
        moments = db.session.scalars(query).all()
    return {moment.date() for moment in moments}


def _sales(day: date) -> dict[UUID, tuple[int, int]]:
    """Per affiliate: the day's tier-1 sales still worth something, and what the day's
    commissions are worth now (a sale's clawbacks share its order, tier and affiliate)."""
    start, end = day_bounds(day)
    commission = AffiliateCommission
    per_sale = (
        sa.select(
            commission.affiliate_id,
            commission.tier,
            sa.func.sum(commission.amount).label("worth"),
        )
        .join(
            Order, sa.and_(Order.tenant_id == commission.tenant_id, Order.id == commission.order_id)
        )
        .where(Order.paid_at >= start, Order.paid_at < end)
        .group_by(
            commission.tenant_id, commission.order_id, commission.affiliate_id, commission.tier
        )
        .subquery()
    )
    converted = sa.and_(per_sale.c.tier == 1, per_sale.c.worth > 0)
    query = sa.select(
        per_sale.c.affiliate_id,
        sa.func.count().filter(converted),
        sa.func.coalesce(sa.func.sum(per_sale.c.worth), 0),
    ).group_by(per_sale.c.affiliate_id)
    with all_tenants("affiliate rollups: a day's commissions summed per affiliate (amounts only)"):
        rows = db.session.execute(query).all()
    return {affiliate_id: (int(count), int(worth)) for affiliate_id, count, worth in rows}


def _sale_columns(sales: dict[UUID, tuple[int, int]], affiliate_id: UUID) -> dict[str, int]:
    conversions, earned = sales.get(affiliate_id, (0, 0))
    return {"conversions": conversions, "earned": earned}


def _clear_sales_gone(day: date, *, keep: set[UUID]) -> None:
    """Zero the sales columns of ``day``'s rows whose affiliate has no sale that day (the
    commissions are the truth, whatever was written before)."""
    counted = db.session.scalars(
        sa.select(AffiliateDailyStat.affiliate_id).where(
            AffiliateDailyStat.day == day,
            sa.or_(AffiliateDailyStat.conversions != 0, AffiliateDailyStat.earned != 0),
        )
    ).all()
    gone = [affiliate_id for affiliate_id in counted if affiliate_id not in keep]
    for start in range(0, len(gone), BATCH):
        db.session.execute(
            sa.update(AffiliateDailyStat)
            .where(
                AffiliateDailyStat.day == day,
                AffiliateDailyStat.affiliate_id.in_(gone[start : start + BATCH]),
            )
            .values(conversions=0, earned=0)
        )


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


def _upsert_stats(rows: list[dict[str, Any]], *, columns: tuple[str, ...]) -> None:
    """Insert (affiliate, day) rows, or update their ``columns`` and ``rolled_at``, in one
    statement."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(AffiliateDailyStat)
    statement = insert.on_conflict_do_update(
        index_elements=["affiliate_id", "day"],
        set_={name: insert.excluded[name] for name in (*columns, "rolled_at")},
    )
    db.session.execute(statement, rows)
