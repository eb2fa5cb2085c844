"""A shop's affiliate sales: the commissions its orders earned affiliates, read in the shop's
context only (the ORM guard scopes every query, row-level security backs it), never under
``all_tenants``. What a shop sees of an affiliate is their code; nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from affiliates.commissions.forfeits import FORFEITED
from affiliates.commissions.services import REJECTED_BY_OPERATOR
from affiliates.dashboard.numbers import STATUS_ORDER, StatusSum
from affiliates.models import Affiliate, AffiliateCommission, CommissionKind, CommissionStatus
from mall.extensions import db
from mall.ledger.models import EntryKind, LedgerEntry, LedgerLine
from mall.money import format_money
from mall.orders.models import Order
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.guard import scoped_get

PER_PAGE = 25


@dataclass(frozen=True)
class SaleRow:
    """One commission of the shop with the affiliate's code and the shop's order number."""

    commission: AffiliateCommission
    affiliate_code: str
    order_number: str

    @property
    def note(self) -> str:
        """Why the commission is worth what it is now ("" when nothing changed it)."""
        return amount_note(self.commission)


@dataclass(frozen=True)
class Change:
    """One step that took money back from a commission, as the shop reads it."""

    at: datetime
    amount: int  # what went back to the shop (or, for a clawback, to be taken from the affiliate)
    what: str


def amount_note(commission: AffiliateCommission) -> str:
    """Why a commission is worth what it is now, in the shop's words; "" when it is as made.

    A rejection by the mall's review is not a refund: the row carries the review's flag,
    which is how the two are told apart (both leave the amount at 0)."""
    if commission.kind is CommissionKind.CLAWBACK:
        return ""
    was = format_money(commission.original_amount)
    if commission.status is CommissionStatus.REJECTED:
        if REJECTED_BY_OPERATOR in (commission.flags or []):
            return f"Rejected by the mall's review: you pay nothing (it was {was} at the sale)."
        if FORFEITED in (commission.flags or []):
            return (
                "The affiliate left the program before being paid: you pay nothing "
                f"(it was {was} at the sale)."
            )
        return (
            "Taken back in full: the order was refunded, cancelled or its payment disputed "
            f"(it was {was} at the sale)."
        )
    if commission.amount < commission.original_amount:
        return f"Reduced by refunds (it was {was} at the sale)."
    return ""


def _reversal_text(key: str) -> str:
    """What one ``affiliate_reduce:<commission>:<event>`` entry was, from its event."""
    event = key.split(":", 2)[-1]
    if event == "reject":
        return "Rejected by the mall's review (the order itself was not refunded)"
    if event == "forfeit":
        return "The affiliate's account was deleted before the commission was paid"
    if event == "cancel":
        return "The order was cancelled"
    if event.startswith("dispute:"):
        return "The card payment was disputed and the dispute lost"
    return "A refund of the order"


def changes(commission: AffiliateCommission) -> list[Change]:
    """What took money back from a commission, oldest first: its reductions and rejection
    (the ledger's reversal entries for it) and, once paid, its clawbacks. Two queries."""
    reversals = db.session.execute(
        sa.select(LedgerEntry.idempotency_key, LedgerEntry.posted_at, LedgerLine.amount)
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .where(
            LedgerEntry.ref_type == "affiliate_commission",
            LedgerEntry.ref_id == str(commission.id),
            LedgerEntry.shop_id == commission.tenant_id,  # the ledger is no tenant table
            LedgerEntry.kind == EntryKind.AFFILIATE_REVERSAL,
            LedgerLine.affiliate_id.is_not(None),  # the affiliate's side: the amount taken
        )
        .order_by(LedgerEntry.seq)
    ).all()
    found = [Change(at, abs(int(amount)), _reversal_text(key)) for key, at, amount in reversals]
    clawbacks = db.session.scalars(
        sa.select(AffiliateCommission).where(
            AffiliateCommission.order_id == commission.order_id,
            AffiliateCommission.clawback_of_id == commission.id,
        )
    )
    found.extend(
        Change(
            row.created_at,
            -row.amount,
            "A refund after the commission was paid: taken from the affiliate's next payout",
        )
        for row in clawbacks
    )
    return sorted(found, key=lambda change: change.at)


def get_commission(commission_id: UUID | str) -> AffiliateCommission | None:
    """A commission of the shop in context by id; None for another shop's."""
    return scoped_get(AffiliateCommission, commission_id)


@dataclass(frozen=True)
class SalesPage:
    """A page of the shop's affiliate sales and the totals by status."""

    page: KeysetPage
    rows: list[SaleRow]
    statuses: list[StatusSum]


@dataclass(frozen=True)
class SaleDetail:
    """One commission of the shop and what took money back from it."""

    row: SaleRow
    changes: list[Change]


def sales_page(
    *, older_than: Position | None = None, newer_than: Position | None = None
) -> SalesPage:
    """The shop's affiliate sales page: a keyset page of commissions and totals by status."""
    page, rows = shop_sales(older_than=older_than, newer_than=newer_than)
    return SalesPage(page=page, rows=rows, statuses=sales_by_status())


def sale_detail(commission_id: UUID | str) -> SaleDetail | None:
    """One commission of the shop in context with its code, order number and what took
    money back from it; None for another shop's."""
    commission = get_commission(commission_id)
    if commission is None:
        return None
    row = SaleRow(
        commission=commission,
        affiliate_code=affiliate_codes({commission.affiliate_id}).get(commission.affiliate_id)
        or "",
        order_number=order_numbers({commission.order_id}).get(commission.order_id, ""),
    )
    return SaleDetail(row=row, changes=changes(commission))


def sales_by_status() -> list[StatusSum]:
    """The shop's commissions summed per status (every status, zeros included): one query."""
    rows = db.session.execute(
        sa.select(
            AffiliateCommission.status,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(AffiliateCommission.amount), 0),
        ).group_by(AffiliateCommission.status)
    ).all()
    found = {status: StatusSum(status, count, int(amount)) for status, count, amount in rows}
    return [found.get(status, StatusSum(status)) for status in STATUS_ORDER]


def shop_sales(
    *,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = PER_PAGE,
) -> tuple[KeysetPage, list[SaleRow]]:
    """The shop's commissions newest first (a keyset page) with codes and order numbers:
    five queries a page at most."""
    page = keyset_paginate(
        sa.select(AffiliateCommission),
        moment=AffiliateCommission.created_at,
        row_id=AffiliateCommission.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )
    codes = affiliate_codes({row.affiliate_id for row in page.items})
    numbers = order_numbers({row.order_id for row in page.items})
    rows = [
        SaleRow(
            commission=row,
            affiliate_code=codes.get(row.affiliate_id) or "",
            order_number=numbers.get(row.order_id, ""),
        )
        for row in page.items
    ]
    return page, rows


def affiliate_codes(ids: set[UUID]) -> dict[UUID, str | None]:
    """Affiliate id -> code (one query; platform rows, the code is what a shop may know)."""
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Affiliate.id, Affiliate.code).where(Affiliate.id.in_(ids)))
    return {affiliate_id: code for affiliate_id, code in rows}


def order_numbers(ids: set[UUID]) -> dict[UUID, str]:
    """Order id -> number, for the shop in context's orders (one query)."""
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Order.id, Order.number).where(Order.id.in_(ids)))
    return {order_id: number for order_id, number in rows}
