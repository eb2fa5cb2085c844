"""What the review page reads and does. Commissions are shop rows: the list reads every
shop's under ``all_tenants`` (the operator's review), and a decision finds the commission's
shop first, then approves or rejects it in that shop's context (the ledger posts there)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from affiliates.commissions import services as commissions
from affiliates.commissions.fraud import BURST
from affiliates.commissions.services import ABOVE_REVIEW, REJECTED_BY_OPERATOR
from affiliates.models import Affiliate, AffiliateCommission, CommissionStatus
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant

PER_PAGE = 25

# The flags' stored words -> what the operator reads.
REASONS = {
    ABOVE_REVIEW: "Above the review amount: waits for your approval",
    BURST: "A burst of clicks from one address before the sale",
    REJECTED_BY_OPERATOR: "Rejected by an operator",
}


def reason_text(flag: object) -> str:
    """A flag as a sentence (an unknown flag reads as itself)."""
    return REASONS.get(str(flag), str(flag).capitalize())


@dataclass(frozen=True)
class ReviewRow:
    """A commission to review, with its shop's name, the order number and the affiliate's code."""

    commission: AffiliateCommission
    shop_name: str
    order_number: str
    affiliate_code: str

    @property
    def can_approve(self) -> bool:
        """Approving would change something: a review to clear, or a hold that is over."""
        row = self.commission
        return row.status is CommissionStatus.PENDING and (
            row.needs_review or row.held_until <= utcnow()
        )

    @property
    def reasons(self) -> list[str]:
        found = [reason_text(flag) for flag in self.commission.flags or []]
        if self.commission.needs_review and ABOVE_REVIEW not in (self.commission.flags or []):
            found.insert(0, reason_text(ABOVE_REVIEW))
        return found


NO_NEWS = [json.dumps([]), json.dumps([ABOVE_REVIEW])]


def _to_review() -> sa.Select:
    """Commissions not yet paid nor rejected that wait for review or carry a warning."""
    return sa.select(AffiliateCommission).where(
        AffiliateCommission.status.in_([CommissionStatus.PENDING, CommissionStatus.APPROVED]),
        sa.or_(
            AffiliateCommission.needs_review.is_(True),
            # A flag other than the review amount's (once reviewed, that one alone is no
            # news). Compared as the JSON text SQLAlchemy wrote (json.dumps) on both databases.
            sa.cast(AffiliateCommission.flags, sa.Text).not_in(NO_NEWS),
        ),
    )


def review_page(
    *, older_than: Position | None = None, newer_than: Position | None = None
) -> tuple[KeysetPage, list[ReviewRow]]:
    """Commissions to review across every shop, newest first (a keyset page), with shop
    names, order numbers and affiliate codes: six queries a page at most."""
    with all_tenants("affiliate reviews: the operator's list of flagged commissions"):
        page = keyset_paginate(
            _to_review(),
            moment=AffiliateCommission.created_at,
            row_id=AffiliateCommission.id,
            older_than=older_than,
            newer_than=newer_than,
            per_page=PER_PAGE,
        )
        items: list[AffiliateCommission] = page.items
        numbers = _order_numbers(items)
    names = _pairs(sa.select(Tenant.id, Tenant.name), Tenant.id, {r.tenant_id for r in items})
    codes = _pairs(
        sa.select(Affiliate.id, Affiliate.code), Affiliate.id, {r.affiliate_id for r in items}
    )
    rows = [
        ReviewRow(
            commission=row,
            shop_name=names.get(row.tenant_id, ""),
            order_number=numbers.get((row.tenant_id, row.order_id), ""),
            affiliate_code=codes.get(row.affiliate_id) or "",
        )
        for row in items
    ]
    return page, rows


def _order_numbers(items: list[AffiliateCommission]) -> dict[tuple[UUID, UUID], str]:
    """(shop id, order id) -> order number (one query; the caller opened every shop)."""
    if not items:
        return {}
    rows = db.session.execute(
        sa.select(Order.tenant_id, Order.id, Order.number).where(
            Order.tenant_id.in_({row.tenant_id for row in items}),
            Order.id.in_({row.order_id for row in items}),
        )
    )
    return {(shop_id, order_id): number for shop_id, order_id, number in rows}


def _pairs(query: sa.Select, key: sa.ColumnElement, ids: set[UUID]) -> dict:
    """id -> value for platform rows (one query, none for no ids)."""
    if not ids:
        return {}
    return {row_id: value for row_id, value in db.session.execute(query.where(key.in_(ids)))}


def decide(commission_id: UUID, *, approve: bool, actor_id: UUID | None) -> bool | None:
    """The operator approves or rejects one commission (``commissions.approve`` /
    ``reject``, audited there). False when nothing changed (a double click), None when
    there is no such commission; AffiliateError when it cannot be decided (paid)."""
    with all_tenants("affiliate reviews: which shop a reviewed commission belongs to"):
        shop_id = db.session.scalar(
            sa.select(AffiliateCommission.tenant_id).where(AffiliateCommission.id == commission_id)
        )
    if shop_id is None:
        return None
    with tenant_context(shop_id):
        commission = commissions.get_commission(commission_id)
        if commission is None:
            return None
        if approve:
            return commissions.approve(commission, actor_id=actor_id)
        return commissions.reject(commission, actor_id=actor_id)
