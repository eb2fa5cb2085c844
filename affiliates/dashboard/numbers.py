"""The affiliate's dashboard numbers, read for one affiliate (by id) and never from the clicks.

- the period (the last 30 or 90 days, today included): one query over
  ``affiliate_daily_stats``, at most 90 rows whatever the clicks; its conversions and
  earnings are the day's sales as their commissions stand now (after refunds, rejections
  and clawbacks), recounted by the rollup job (``affiliates.tracking.rollups``);
- the top landing pages: one grouped query over ``affiliate_daily_pages``;
- commissions by status and the latest commissions: the shops' rows, read under
  ``all_tenants`` filtered by ``affiliate_id`` (the affiliate's own across shops);
- payouts: ``affiliates.payouts.queries.payouts_of``.

So a dashboard costs the same few queries with ten clicks or a million. Unique visitors
are counted per day (the rollup's distinct IP indexes) and added up over the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa

from affiliates.models import (
    Affiliate,
    AffiliateCommission,
    AffiliateDailyPage,
    AffiliateDailyStat,
    AffiliatePayout,
    CommissionStatus,
)
from affiliates.payouts.queries import commissions_of, get_payout, payouts_of
from mall.db import utcnow
from mall.extensions import db
from mall.money import proportion
from mall.orders.models import Order
from mall.pagination import KeysetPage, Page, Position, keyset_paginate
from tenants.context import all_tenants
from tenants.models import Tenant

PERIODS = (30, 90)
TOP_PAGES = 10
COMMISSIONS_PER_PAGE = 20
# The order a person reads a commission's life in.
STATUS_ORDER = (
    CommissionStatus.PENDING,
    CommissionStatus.APPROVED,
    CommissionStatus.PAID,
    CommissionStatus.REJECTED,
)


@dataclass(frozen=True)
class Day:
    """One day of the chart (a day without a rollup row counts zero)."""

    day: date
    clicks: int = 0
    visitors: int = 0
    conversions: int = 0
    earned: int = 0


@dataclass(frozen=True)
class Totals:
    """The period's sums and the ratios made of them (None: no clicks to divide by)."""

    clicks: int
    discounted: int
    visitors: int
    conversions: int
    earned: int

    @property
    def conversion_bp(self) -> int | None:
        """Conversions per click in basis points, half-up."""
        return proportion(10_000, self.conversions, self.clicks) if self.clicks else None

    @property
    def per_click(self) -> int | None:
        """Earnings per click in minor units, half-up."""
        return proportion(self.earned, 1, self.clicks) if self.clicks else None


@dataclass(frozen=True)
class Period:
    """The last ``days`` days up to ``end`` (today), one ``Day`` each, oldest first."""

    days: int
    start: date
    end: date
    series: list[Day]
    totals: Totals


def period_days(raw: str | None) -> int:
    """``?days=`` as one of ``PERIODS``; anything else means the first (30)."""
    try:
        wanted = int(raw or "")
    except ValueError:
        return PERIODS[0]
    return wanted if wanted in PERIODS else PERIODS[0]


def period_stats(affiliate_id: UUID, *, days: int, today: date | None = None) -> Period:
    """The affiliate's rollups for the last ``days`` days (today included): one query."""
    end = today or utcnow().date()
    start = end - timedelta(days=days - 1)
    # Columns, not rows as objects: up to 90 tuples, nothing for the session to track.
    rows = db.session.execute(
        sa.select(
            AffiliateDailyStat.day,
            AffiliateDailyStat.clicks,
            AffiliateDailyStat.visitors,
            AffiliateDailyStat.conversions,
            AffiliateDailyStat.earned,
            AffiliateDailyStat.discounted_clicks,
        ).where(
            AffiliateDailyStat.affiliate_id == affiliate_id,
            AffiliateDailyStat.day >= start,
            AffiliateDailyStat.day <= end,
        )
    ).all()
    by_day = {row.day: Day(*row[:5]) for row in rows}
    series = [
        by_day.get(day) or Day(day)
        for day in (start + timedelta(days=offset) for offset in range(days))
    ]
    totals = Totals(
        clicks=sum(row.clicks for row in rows),
        discounted=sum(row.discounted_clicks for row in rows),
        visitors=sum(row.visitors for row in rows),
        conversions=sum(row.conversions for row in rows),
        earned=sum(row.earned for row in rows),
    )
    return Period(days=days, start=start, end=end, series=series, totals=totals)


def top_pages(
    affiliate_id: UUID, *, start: date, end: date, limit: int = TOP_PAGES
) -> list[tuple[str, int]]:
    """The landing paths with the most of the affiliate's clicks between two days: one query."""
    clicks = sa.func.sum(AffiliateDailyPage.clicks)
    rows = db.session.execute(
        sa.select(AffiliateDailyPage.path, clicks)
        .where(
            AffiliateDailyPage.affiliate_id == affiliate_id,
            AffiliateDailyPage.day >= start,
            AffiliateDailyPage.day <= end,
        )
        .group_by(AffiliateDailyPage.path)
        .order_by(clicks.desc(), AffiliateDailyPage.path)
        .limit(limit)
    ).all()
    return [(path, int(total)) for path, total in rows]


@dataclass(frozen=True)
class StatusSum:
    """How many of the affiliate's commissions are in one status, and what they add up to."""

    status: CommissionStatus
    count: int = 0
    amount: int = 0


def commissions_by_status(affiliate_id: UUID) -> list[StatusSum]:
    """The affiliate's commissions in every shop summed per status (every status, zeros
    included; clawbacks count negative): one grouped query."""
    with all_tenants("affiliate dashboard: the affiliate's own commissions"):
        rows = db.session.execute(
            sa.select(
                AffiliateCommission.status,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(AffiliateCommission.amount), 0),
            )
            .where(AffiliateCommission.affiliate_id == affiliate_id)
            .group_by(AffiliateCommission.status)
        ).all()
    found = {status: StatusSum(status, count, int(amount)) for status, count, amount in rows}
    return [found.get(status, StatusSum(status)) for status in STATUS_ORDER]


@dataclass(frozen=True)
class CommissionRow:
    """One of the affiliate's commissions with its shop's name and the shop's order number."""

    commission: AffiliateCommission
    shop_name: str
    order_number: str


def latest_commissions(
    affiliate_id: UUID,
    *,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = COMMISSIONS_PER_PAGE,
) -> tuple[KeysetPage, list[CommissionRow]]:
    """The affiliate's commissions in every shop, newest first (a keyset page), with shop
    names and order numbers (no customer data): four queries a page at most."""
    with all_tenants("affiliate dashboard: the affiliate's own commissions"):
        page = keyset_paginate(
            sa.select(AffiliateCommission).where(AffiliateCommission.affiliate_id == affiliate_id),
            moment=AffiliateCommission.created_at,
            row_id=AffiliateCommission.id,
            older_than=older_than,
            newer_than=newer_than,
            per_page=per_page,
        )
        return page, _with_orders(page.items)


def own_payout(affiliate: Affiliate, payout_id: UUID | str | None) -> AffiliatePayout | None:
    """The affiliate's own payout by id; None for a malformed id or anyone else's payout."""
    payout = get_payout(payout_id)
    return payout if payout is not None and payout.affiliate_id == affiliate.id else None


def payout_commissions(payout: AffiliatePayout) -> list[CommissionRow]:
    """The commissions (and clawbacks) the payout settled, with shop names and order numbers
    (two queries whatever their number)."""
    settled = commissions_of(payout)
    with all_tenants("affiliate payout page: the order numbers of the payout's commissions"):
        return _with_orders(settled)


def _with_orders(commissions: list[AffiliateCommission]) -> list[CommissionRow]:
    """The commissions with their shops' names and their orders' numbers: one query (a
    commission's order always exists: the foreign key), run in the caller's
    ``all_tenants`` so that the page changes the database scope once."""
    if not commissions:
        return []
    found = db.session.execute(
        sa.select(Order.tenant_id, Order.id, Order.number, Tenant.name)
        .join(Tenant, Tenant.id == Order.tenant_id)
        .where(
            Order.tenant_id.in_({row.tenant_id for row in commissions}),
            Order.id.in_({row.order_id for row in commissions}),
        )
    )
    names, numbers = {}, {}
    for tenant_id, order_id, number, name in found:
        names[tenant_id] = name
        numbers[tenant_id, order_id] = number
    return [
        CommissionRow(
            commission=row,
            shop_name=names.get(row.tenant_id, ""),
            order_number=numbers.get((row.tenant_id, row.order_id), ""),
        )
        for row in commissions
    ]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows."""

    period: Period
    pages: list[tuple[str, int]]
    statuses: list[StatusSum]
    page: KeysetPage
    commissions: list[CommissionRow]
    payouts: Page


# What ``keyset_paginate`` answers for an empty list, whatever the position asked for.
NO_COMMISSIONS = KeysetPage(items=[], total=0, first=True, newer=None, older=None)


def dashboard(
    affiliate: Affiliate,
    *,
    days: int,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    payouts_page: int = 1,
) -> Dashboard:
    """The affiliate's dashboard for the last ``days`` days: nine queries at most (five for
    an affiliate without commissions) and one change of database scope, however many
    clicks, rollup rows or commissions."""
    period = period_stats(affiliate.id, days=days)
    pages = top_pages(affiliate.id, start=period.start, end=period.end)
    payouts = payouts_of(affiliate, payouts_page)
    # The two cross-shop reads last and back to back: PostgreSQL's scope (``mall.tenant_id``)
    # is set once for both, not switched to every shop and back around each of them.
    statuses = commissions_by_status(affiliate.id)
    if any(row.count for row in statuses):
        page, commissions = latest_commissions(
            affiliate.id, older_than=older_than, newer_than=newer_than
        )
    else:  # none in any shop (a new affiliate): no page to look for, wherever a link points
        page, commissions = NO_COMMISSIONS, []
    return Dashboard(
        period=period,
        pages=pages,
        statuses=statuses,
        page=page,
        commissions=commissions,
        payouts=payouts,
    )
