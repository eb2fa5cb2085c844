"""A shop's yearly statement (one query, from ledger lines; see ``periods``; the weekly
chart is ``weekly``).

Signs are as people read them: money earned is positive, money taken back or
paid out is positive in its own column (a refund of 5.00 is ``refunds == 500``).

The yearly statement per shop (the figures a 1099-K or DAC7-style report asks
for), each per month and for the year:

- ``gross_sales``: items sold, before discounts, net of tax;
- ``shop_discounts``: coupons the shop funded (the mall's own coupons are the mall's);
- ``shipping``: shipping charged, net of its tax; ``tax_collected``: tax the shop collects;
- ``refunds`` (items and shipping, net of tax) and ``refunded_tax``;
- ``commission`` and ``commission_tax``: charged, net of what refunds returned;
- ``fees``: processing fees the shop bears (lines of kind ``processor_fee``,
  ``refund_fee`` or ``fee``);
- ``chargebacks``: disputes lost (the shop bears them; the commission is not
  returned); ``adjustments``: the mall's manual corrections;
- ``collected_directly``: payments the shop took itself (bank transfer, card
  charged by the shop), net of refunds it paid back itself: that money is
  already the shop's, so the mall owes that much less;
- ``net_earnings``: how much more the mall owes the shop from the period's
  trading (every line of the shop except payouts); ``other`` is whatever lines
  of a kind not listed above moved, so that each row adds up exactly;
- ``payouts``: paid to the shop (net of payouts returned and transfers taken back);
- ``orders_paid``: orders whose payment was posted in the period.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields
from uuid import UUID

import sqlalchemy as sa

from mall.csvsafe import writer
from mall.extensions import db
from mall.ledger.models import EntryKind, LedgerEntry, LedgerLine
from mall.ledger.statements.periods import (
    bucket,
    shop_lines,
    sum_if,
    year_months,
)
from mall.money import to_decimal_text

FEE_KINDS = ("processor_fee", "refund_fee", "fee")
PAYOUT_ENTRIES = (EntryKind.PAYOUT_PAID, EntryKind.PAYOUT_FAILED, EntryKind.TRANSFER_REVERSAL)
# Entries whose shop lines are counted by the entry, not by the lines' kinds.
BY_ENTRY = (*PAYOUT_ENTRIES, EntryKind.DISPUTE_LOST, EntryKind.ADJUSTMENT)


# ---------------------------------------------------------------- the yearly statement


@dataclass(frozen=True)
class YearRow:
    """One month (or the year's total) of a shop's yearly statement; see the module's docstring."""

    label: str
    orders_paid: int = 0
    gross_sales: int = 0
    shop_discounts: int = 0
    shipping: int = 0
    tax_collected: int = 0
    refunds: int = 0
    refunded_tax: int = 0
    commission: int = 0
    commission_tax: int = 0
    fees: int = 0
    chargebacks: int = 0
    adjustments: int = 0
    collected_directly: int = 0
    other: int = 0
    net_earnings: int = 0
    payouts: int = 0


AMOUNT_FIELDS = tuple(f.name for f in fields(YearRow) if f.name not in ("label", "orders_paid"))


@dataclass(frozen=True)
class YearlyStatement:
    """A shop's figures for a calendar year: twelve months and their total."""

    year: int
    months: list[YearRow]
    total: YearRow


def _yearly_columns(inner: sa.Subquery) -> list[sa.Label]:
    c = inner.c
    trading = c.entry_kind.not_in([str(kind) for kind in BY_ENTRY])

    def kinds(*names: str) -> sa.ColumnElement[bool]:
        return sa.and_(trading, c.kind.in_(names))

    def entries(*wanted: EntryKind) -> sa.ColumnElement[bool]:
        return c.entry_kind.in_([str(kind) for kind in wanted])

    payouts = entries(*PAYOUT_ENTRIES)
    return [
        sa.func.count(sa.distinct(sa.case((c.kind == "sale", c.order_id)))).label("orders_paid"),
        sum_if(kinds("sale"), -c.amount).label("gross_sales"),
        sum_if(kinds("discount_shop"), c.amount).label("shop_discounts"),
        sum_if(kinds("shipping"), -c.amount).label("shipping"),
        sum_if(sa.and_(kinds("tax"), c.amount < 0), -c.amount).label("tax_collected"),
        sum_if(kinds("refund", "shipping_refund"), c.amount).label("refunds"),
        sum_if(sa.and_(kinds("tax"), c.amount > 0), c.amount).label("refunded_tax"),
        sum_if(kinds("commission", "commission_reversal"), c.amount).label("commission"),
        sum_if(kinds("commission_tax", "commission_tax_reversal"), c.amount).label(
            "commission_tax"
        ),
        sum_if(kinds(*FEE_KINDS), c.amount).label("fees"),
        sum_if(entries(EntryKind.DISPUTE_LOST), c.amount).label("chargebacks"),
        sum_if(entries(EntryKind.ADJUSTMENT), -c.amount).label("adjustments"),
        sum_if(kinds("collected_by_shop", "refunded_by_shop"), c.amount).label(
            "collected_directly"
        ),
        sum_if(sa.not_(payouts), -c.amount).label("net_earnings"),
        sum_if(payouts, c.amount).label("payouts"),
    ]


def _year_row(label: str, row: sa.Row | None) -> YearRow:
    if row is None:
        return YearRow(label)
    values = {name: int(getattr(row, name)) for name in AMOUNT_FIELDS if name != "other"}
    listed = (
        values["gross_sales"]
        - values["shop_discounts"]
        + values["shipping"]
        + values["tax_collected"]
        - values["refunds"]
        - values["refunded_tax"]
        - values["commission"]
        - values["commission_tax"]
        - values["fees"]
        - values["chargebacks"]
        + values["adjustments"]
        - values["collected_directly"]
    )
    # Lines of kinds this statement does not name still count: the row always adds up.
    values["other"] = values["net_earnings"] - listed
    return YearRow(label, orders_paid=int(row.orders_paid), **values)


def yearly_statement(shop_id: UUID, year: int) -> YearlyStatement:
    """The shop's figures per month of calendar ``year`` (UTC) and for the year (one query)."""
    periods = year_months(year)
    inner = (
        sa.select(
            bucket(LedgerLine.posted_at, periods).label("bucket"),
            LedgerLine.kind,
            LedgerLine.amount,
            LedgerLine.order_id,
            LedgerEntry.kind.label("entry_kind"),
        )
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(*shop_lines(shop_id, periods))
        .subquery()
    )
    query = sa.select(inner.c.bucket, *_yearly_columns(inner)).group_by(inner.c.bucket)
    found = {row.bucket: row for row in db.session.execute(query)}
    months = [_year_row(period.label, found.get(index)) for index, period in enumerate(periods)]
    total = YearRow(
        str(year),
        orders_paid=sum(month.orders_paid for month in months),
        **{name: sum(getattr(month, name) for month in months) for name in AMOUNT_FIELDS},
    )
    return YearlyStatement(year=year, months=months, total=total)


def yearly_csv(statement: YearlyStatement, *, currency: str) -> str:
    """The yearly statement as CSV: a row per month, then the year's total."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(("period", "orders_paid", *AMOUNT_FIELDS, "currency"))
    for row in [*statement.months, statement.total]:
        amounts = [to_decimal_text(getattr(row, name), code=currency) for name in AMOUNT_FIELDS]
        out.writerow((row.label, row.orders_paid, *amounts, currency))
    return buffer.getvalue()
