"""The operator's revenue, from the platform's ledger accounts only (no shop or person named).

Per period (month or week, UTC): payments received through the processor,
commission earned net of what refunds returned, the discounts the platform
funded, refunds paid back through the processor, payouts made to shops (net of
payouts returned and transfers taken back); and what the mall owes shops now
(payouts due, pending, held, on their way) and what shops owe it (debts).
Lines are read through ``ix_ledger_lines_account_posted_at``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mall.csvsafe import writer
from mall.extensions import db
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.statements.periods import (
    MAX_PERIODS,
    PERIODS,
    Period,
    bucket,
    month_periods,
    sum_if,
    week_periods,
)
from mall.ledger.statements.yearly import PAYOUT_ENTRIES
from mall.money import to_decimal_text


@dataclass(frozen=True)
class RevenueRow:
    """One period of the platform's money, from its own accounts."""

    label: str
    payments: int = 0  # received through the processor
    commission: int = 0  # earned, net of what refunds returned
    platform_discounts: int = 0  # coupons the platform funded
    refunds: int = 0  # paid back to customers through the processor
    payouts: int = 0  # paid to shops, net of payouts returned and transfers taken back

    @property
    def net_revenue(self) -> int:
        """Commission less the discounts the platform paid for."""
        return self.commission - self.platform_discounts


REVENUE_FIELDS = ("payments", "commission", "platform_discounts", "refunds", "payouts")


@dataclass(frozen=True)
class Owed:
    """What the mall owes shops now, over every shop (no shop named)."""

    available: int  # payable now: shops' positive available balances (payouts due)
    debts: int  # shops' negative available balances (refunds after a payout), to recover
    pending: int  # inside the holding period
    held: int  # in reserves and disputes
    in_transit: int  # payouts sent, not yet paid


@dataclass(frozen=True)
class Revenue:
    """The operator's revenue report: periods oldest first, and what is owed to shops now."""

    period: str
    rows: list[RevenueRow]
    owed: Owed

    @property
    def total(self) -> RevenueRow:
        sums = {name: sum(getattr(row, name) for row in self.rows) for name in REVENUE_FIELDS}
        return RevenueRow("Total", **sums)


def _revenue_rows(periods: list[Period]) -> list[RevenueRow]:
    platform = (Account.PROCESSOR, Account.COMMISSION, Account.PLATFORM_DISCOUNTS)
    inner = (
        sa.select(
            bucket(LedgerLine.posted_at, periods).label("bucket"),
            LedgerLine.account,
            LedgerLine.kind,
            LedgerLine.amount,
            LedgerEntry.kind.label("entry_kind"),
        )
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerLine.account.in_([str(account) for account in platform]),
            LedgerLine.posted_at >= periods[0].start,
            LedgerLine.posted_at < periods[-1].end,
        )
        .subquery()
    )
    c = inner.c
    processor = c.account == str(Account.PROCESSOR)
    query = sa.select(
        c.bucket,
        sum_if(sa.and_(processor, c.entry_kind == str(EntryKind.PAYMENT)), c.amount).label(
            "payments"
        ),
        sum_if(c.account == str(Account.COMMISSION), -c.amount).label("commission"),
        sum_if(c.account == str(Account.PLATFORM_DISCOUNTS), c.amount).label("platform_discounts"),
        sum_if(sa.and_(processor, c.kind == "refund"), -c.amount).label("refunds"),
        sum_if(
            sa.and_(processor, c.entry_kind.in_([str(kind) for kind in PAYOUT_ENTRIES])),
            -c.amount,
        ).label("payouts"),
    ).group_by(c.bucket)
    found = {row.bucket: row for row in db.session.execute(query)}
    rows = []
    for index, period in enumerate(periods):
        row = found.get(index)
        sums = {name: int(getattr(row, name)) for name in REVENUE_FIELDS} if row else {}
        rows.append(RevenueRow(period.label, **sums))
    return rows


def owed_to_shops() -> Owed:
    """Every shop's balances summed by account, positive and negative apart (one query)."""
    accounts = [
        Account.SHOP_AVAILABLE,
        Account.SHOP_PENDING,
        Account.SHOP_RESERVE,
        Account.SHOP_DISPUTED,
        Account.PAYOUTS_IN_TRANSIT,
    ]
    per_shop = (
        sa.select(LedgerLine.account, sa.func.sum(LedgerLine.amount).label("total"))
        .where(LedgerLine.account.in_([str(account) for account in accounts]))
        .group_by(LedgerLine.shop_id, LedgerLine.account)
        .subquery()
    )
    query = sa.select(
        per_shop.c.account,
        sum_if(per_shop.c.total < 0, -per_shop.c.total).label("owed"),
        sum_if(per_shop.c.total > 0, per_shop.c.total).label("owing"),
    ).group_by(per_shop.c.account)
    found = {
        Account(row.account): (int(row.owed), int(row.owing)) for row in db.session.execute(query)
    }

    def owed(account: Account) -> int:
        return found.get(account, (0, 0))[0]

    return Owed(
        available=owed(Account.SHOP_AVAILABLE),
        debts=found.get(Account.SHOP_AVAILABLE, (0, 0))[1],
        pending=owed(Account.SHOP_PENDING),
        held=owed(Account.SHOP_RESERVE) + owed(Account.SHOP_DISPUTED),
        in_transit=owed(Account.PAYOUTS_IN_TRANSIT),
    )


def platform_revenue(
    period: str = "month", *, count: int = 12, now: datetime | None = None
) -> Revenue:
    """Commission, platform-funded discounts, refunds and payouts per ``period`` ("month" or
    "week", the last ``count``), and what is owed to shops now; two queries, no shop named."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    count = max(1, min(count, MAX_PERIODS))
    periods = month_periods(count, now=now) if period == "month" else week_periods(count, now=now)
    return Revenue(period=period, rows=_revenue_rows(periods), owed=owed_to_shops())


def revenue_csv(revenue: Revenue, *, currency: str) -> str:
    """The revenue report as CSV: a row per period, then the total."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(("period", *REVENUE_FIELDS, "net_revenue", "currency"))
    for row in [*revenue.rows, revenue.total]:
        amounts = [getattr(row, name) for name in REVENUE_FIELDS] + [row.net_revenue]
        out.writerow((row.label, *(to_decimal_text(a, code=currency) for a in amounts), currency))
    return buffer.getvalue()
