"""A shop's affiliate sales: the commissions its orders earned affiliates, read in the shop's
context only (the ORM guard scopes every query, row-level security backs it), never under
``all_tenants``. What a shop sees of an affiliate is their code; nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from affiliates.dashboard.numbers import STATUS_ORDER, StatusSum
from affiliates.models import Affiliate, AffiliateCommission
from mall.extensions import db
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


def get_commission(commission_id: UUID | str) -> AffiliateCommission | None:
    """A commission of the shop in context by id; None for another shop's."""
    return scoped_get(AffiliateCommission, commission_id)


@dataclass(frozen=True)
class SalesPage:
    """A page of the shop's affiliate sales and the totals by status."""

    page: KeysetPage
    rows: list[SaleRow]
    statuses: list[StatusSum]


def sales_page(
    *, older_than: Position | None = None, newer_than: Position | None = None
) -> SalesPage:
    """The shop's affiliate sales page: a keyset page of commissions and totals by status."""
    page, rows = shop_sales(older_than=older_than, newer_than=newer_than)
    return SalesPage(page=page, rows=rows, statuses=sales_by_status())


def sale_detail(commission_id: UUID | str) -> SaleRow | None:
    """One commission of the shop in context with its code and order number; None for
    another shop's."""
    commission = get_commission(commission_id)
    if commission is None:
        return None
    return SaleRow(
        commission=commission,
        affiliate_code=affiliate_codes({commission.affiliate_id}).get(commission.affiliate_id)
        or "",
        order_number=order_numbers({commission.order_id}).get(commission.order_id, ""),
    )


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
