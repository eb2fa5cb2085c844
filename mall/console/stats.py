"""The console overview's numbers: shops by status, sign-ups per UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from mall.accounts.models import User
from mall.db import utcnow
from mall.extensions import db
from tenants.models import Tenant, TenantStatus

CHART_DAYS = 30


class utc_day(FunctionElement):
    """The UTC calendar day of a timestamp, on SQLite and PostgreSQL."""

    type = sa.Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores UTC text on SQLite, so date() yields the UTC day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    # Not the session's time zone: days are UTC days everywhere.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@dataclass(frozen=True)
class Overview:
    """The overview page's numbers."""

    status_counts: dict[str, int]
    days: list[date]
    new_users: list[int]
    new_shops: list[int]

    @property
    def total_shops(self) -> int:
        return sum(self.status_counts.values())

    def rows(self) -> list[tuple[date, int, int]]:
        return list(zip(self.days, self.new_users, self.new_shops, strict=True))


def _per_day(created_at: Any, since: datetime) -> dict[date, int]:
    day = utc_day(created_at)
    rows = db.session.execute(
        sa.select(day, sa.func.count()).where(created_at >= since).group_by(day)
    ).all()
    return {(d if isinstance(d, date) else date.fromisoformat(str(d))): n for d, n in rows}


def overview_stats(*, days: int = CHART_DAYS, today: date | None = None) -> Overview:
    """Shops by status and sign-ups per UTC day for the last ``days`` days (three queries)."""
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    counts = dict.fromkeys((s.value for s in TenantStatus), 0)
    for status, n in db.session.execute(
        sa.select(Tenant.status, sa.func.count()).group_by(Tenant.status)
    ):
        counts[TenantStatus(status).value] = n
    users = _per_day(User.created_at, since)
    shops = _per_day(Tenant.created_at, since)
    span = [first + timedelta(days=i) for i in range(days)]
    return Overview(
        status_counts=counts,
        days=span,
        new_users=[users.get(d, 0) for d in span],
        new_shops=[shops.get(d, 0) for d in span],
    )
