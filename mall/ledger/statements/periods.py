"""Periods (weeks, months) and the SQL that puts ledger lines in them.

A report is one aggregate query: lines are put in their period by a ``CASE``
over the periods' starts (the same on SQLite and PostgreSQL; times in UTC)
inside a subquery, and summed per period outside it (PostgreSQL will not group
by an expression with bound parameters, hence the subquery). A shop's lines
are found through ``ix_ledger_lines_shop_id_entry_seq``: the periods' first and
last entries (by ``posted_at``, indexed on ``ledger_entries``) bound
``entry_seq``, since entries are numbered in the order they are posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.ledger.models import LedgerEntry, LedgerLine

PERIODS = ("month", "week")
MAX_PERIODS = 60


@dataclass(frozen=True)
class Period:
    """A span of time ``[start, end)`` in UTC, and how it is named (``2026-11``, ``2026-W48``)."""

    label: str
    start: datetime
    end: datetime


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def week_periods(count: int, *, now: datetime | None = None) -> list[Period]:
    """The last ``count`` ISO weeks (Monday to Monday), the current one last."""
    today = (now or utcnow()).astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    periods = []
    for back in range(count - 1, -1, -1):
        start = monday - timedelta(weeks=back)
        year, week, _ = start.isocalendar()
        periods.append(
            Period(f"{year}-W{week:02d}", _midnight(start), _midnight(start + timedelta(weeks=1)))
        )
    return periods


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def month_periods(count: int, *, now: datetime | None = None) -> list[Period]:
    """The last ``count`` calendar months, the current one last."""
    today = (now or utcnow()).astimezone(UTC)
    periods = []
    for back in range(count - 1, -1, -1):
        year, month = _add_months(today.year, today.month, -back)
        next_year, next_month = _add_months(year, month, 1)
        periods.append(
            Period(
                f"{year}-{month:02d}",
                datetime(year, month, 1, tzinfo=UTC),
                datetime(next_year, next_month, 1, tzinfo=UTC),
            )
        )
    return periods


def year_months(year: int) -> list[Period]:
    """The twelve months of ``year``."""
    return month_periods(12, now=datetime(year, 12, 1, tzinfo=UTC))


def bucket(column: sa.ColumnElement, periods: list[Period]) -> sa.ColumnElement[int]:
    """The index of the period ``column`` falls in (the caller bounds it to the periods)."""
    newest_first = [(column >= p.start, index) for index, p in reversed(list(enumerate(periods)))]
    return sa.case(*newest_first, else_=-1)


def _seq_bounds(periods: list[Period]) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """The first and last entry numbers posted within the periods (as subqueries)."""
    start, end = periods[0].start, periods[-1].end
    # Walked along ``ix_ledger_entries_posted_at`` from the period's edge: ``min(seq) WHERE
    # posted_at >= start`` would walk the entry numbers from 1 and filter every older entry.
    first = (
        sa.select(LedgerEntry.seq)
        .where(LedgerEntry.posted_at >= start)
        .order_by(LedgerEntry.posted_at.asc(), LedgerEntry.seq.asc())
        .limit(1)
    )
    last = (
        sa.select(LedgerEntry.seq)
        .where(LedgerEntry.posted_at < end)
        .order_by(LedgerEntry.posted_at.desc(), LedgerEntry.seq.desc())
        .limit(1)
    )
    return first.scalar_subquery(), last.scalar_subquery()


def shop_lines(shop_id: UUID, periods: list[Period]) -> list[sa.ColumnElement[bool]]:
    """The conditions that pick the shop's lines posted within the periods (index-friendly)."""
    first, last = _seq_bounds(periods)
    return [
        LedgerLine.shop_id == shop_id,
        LedgerLine.entry_seq >= first,
        LedgerLine.entry_seq <= last,
        LedgerLine.posted_at >= periods[0].start,
        LedgerLine.posted_at < periods[-1].end,
    ]


def sum_if(
    condition: sa.ColumnElement[bool], amount: sa.ColumnElement[int]
) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, amount), else_=0)), 0)
