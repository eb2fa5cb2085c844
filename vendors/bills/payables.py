"""What the shop owes its vendors: open bills aged by days past due, and a vendor's statement.

``aging_bucket`` is the one place that decides a bucket: current (not yet due, due today
included), 1-30, 31-60, 61-90 and over 90 days past ``due_on``. The payables report sums
what is owed per vendor and due date in one query and buckets the rows; the statement
lists one vendor's bills, credit notes and payments in date order with a running balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from vendors.bills.owed import OWING
from vendors.models import BillPayment, BillStatus, Vendor, VendorBill, VendorCredit

BUCKETS = ("current", "1-30", "31-60", "61-90", "over-90")
BUCKET_LABELS = {
    "current": "Current",
    "1-30": "1 to 30 days",
    "31-60": "31 to 60 days",
    "61-90": "61 to 90 days",
    "over-90": "Over 90 days",
}
POSTED = (BillStatus.OPEN, BillStatus.PARTIALLY_PAID, BillStatus.PAID)


def aging_bucket(due_on: date, today: date) -> str:
    """The aging bucket of a bill due on ``due_on``, as of ``today``."""
    late = (today - due_on).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "1-30"
    if late <= 60:
        return "31-60"
    if late <= 90:
        return "61-90"
    return "over-90"


@dataclass
class VendorAging:
    """What the shop owes one vendor, per bucket."""

    vendor_id: UUID
    name: str
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    bills: int = 0

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass
class Payables:
    """The payables report: one row per vendor owed, and the totals."""

    today: date
    vendors: list[VendorAging]

    @property
    def totals(self) -> dict[str, int]:
        return {bucket: sum(v.buckets[bucket] for v in self.vendors) for bucket in BUCKETS}

    @property
    def total(self) -> int:
        return sum(v.total for v in self.vendors)


def payables(today: date) -> Payables:
    """Open bills summed per vendor and due date (one query), bucketed as of ``today``."""
    owed = VendorBill.total - VendorBill.paid - VendorBill.credited
    rows = db.session.execute(
        sa.select(
            Vendor.id,
            Vendor.name,
            VendorBill.due_on,
            sa.func.sum(owed),
            sa.func.count(),
        )
        .join(
            Vendor,
            sa.and_(Vendor.tenant_id == VendorBill.tenant_id, Vendor.id == VendorBill.vendor_id),
        )
        .where(VendorBill.status.in_(OWING))
        .group_by(Vendor.id, Vendor.name, VendorBill.due_on)
        .order_by(Vendor.name, Vendor.id)
    )
    found: dict[UUID, VendorAging] = {}
    for vendor_id, name, due_on, amount, count in rows:
        aging = found.setdefault(vendor_id, VendorAging(vendor_id, name))
        aging.buckets[aging_bucket(due_on, today)] += int(amount or 0)
        aging.bills += int(count)
    return Payables(today, list(found.values()))


# ---------------------------------------------------------------- the vendor's statement


@dataclass(frozen=True)
class StatementRow:
    """One bill, credit note or payment: ``amount`` > 0 raises what is owed."""

    on: date
    kind: str  # bill, void, credit, payment
    reference: str
    vendor_number: str
    amount: int
    balance: int
    link_id: UUID


@dataclass(frozen=True)
class Statement:
    vendor: Vendor
    start: date
    end: date
    opening: int
    rows: list[StatementRow]

    @property
    def closing(self) -> int:
        return self.rows[-1].balance if self.rows else self.opening


MAX_ROWS = 1000


def _events(
    vendor: Vendor,
    *,
    before: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> sa.Select:
    """Bills (issued), credit notes and payments of the vendor as one dated list (SQL)."""

    def dated(column: sa.ColumnElement[date]) -> list[sa.ColumnElement[bool]]:
        conditions = []
        if before is not None:
            conditions.append(column < before)
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column <= end)
        return conditions

    bills = sa.select(
        VendorBill.issued_on.label("on"),
        sa.literal("bill").label("kind"),
        VendorBill.reference.label("reference"),
        VendorBill.vendor_number.label("vendor_number"),
        VendorBill.total.label("amount"),
        VendorBill.id.label("link_id"),
        VendorBill.created_at.label("at"),
    ).where(
        VendorBill.vendor_id == vendor.id,
        VendorBill.status.in_(POSTED),
        *dated(VendorBill.issued_on),
    )
    credits = sa.select(
        VendorCredit.issued_on,
        sa.literal("credit"),
        VendorCredit.reference,
        VendorCredit.vendor_number,
        -VendorCredit.total,
        VendorCredit.bill_id,
        VendorCredit.created_at,
    ).where(VendorCredit.vendor_id == vendor.id, *dated(VendorCredit.issued_on))
    paid = sa.select(
        BillPayment.paid_on,
        sa.literal("payment"),
        BillPayment.reference,
        sa.literal(""),
        -BillPayment.amount,
        BillPayment.id,
        BillPayment.created_at,
    ).where(BillPayment.vendor_id == vendor.id, *dated(BillPayment.paid_on))
    return sa.union_all(bills, credits, paid).subquery()


def latest_date(vendor: Vendor) -> date | None:
    """The date of the vendor's latest bill, credit note or payment (one query), or None.

    A statement's default range ends there when that is after today, so it still shows
    everything the payables count (a bill or credit note may carry a future date).
    """
    events = _events(vendor)
    return db.session.scalar(sa.select(sa.func.max(events.c.on)))


def statement(vendor: Vendor, *, start: date, end: date) -> Statement:
    """The vendor's bills, credit notes and payments from ``start`` to ``end`` in date
    order, with the balance before ``start`` and after each row (two queries)."""
    before = _events(vendor, before=start)
    opening = int(
        db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(before.c.amount), 0))) or 0
    )
    events = _events(vendor, start=start, end=end)
    query = sa.select(events).order_by(events.c.on, events.c.at).limit(MAX_ROWS)
    rows, balance = [], opening
    for row in db.session.execute(query):
        balance += int(row.amount)
        rows.append(
            StatementRow(
                row.on,
                row.kind,
                row.reference,
                row.vendor_number or "",
                int(row.amount),
                balance,
                row.link_id,
            )
        )
    return Statement(vendor, start, end, opening, rows)
