"""Affiliate commissions: what one shop order earns one affiliate (the shop's table).

The shop that made the sale pays the commission, so the row is the shop's
(row-level security: shop A sees only its own affiliate sales). An affiliate reads
their own rows across shops in a service under ``all_tenants``, by ``affiliate_id``.

A sale commission is made once per shop order and tier (a unique index), whatever
replays happen, with its rate frozen. Before it is paid, refunds reduce ``amount``
(``original_amount`` keeps what it was) or reject it; after it is paid, a refund
makes a ``clawback`` (a negative commission, approved at once) that nets against the
next payout. Every step is posted to the ledger once (``affiliates.commissions``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from affiliates.models.terms import RateKind
from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_fk


class CommissionKind(StrEnum):
    SALE = "sale"
    CLAWBACK = "clawback"  # a refund after the sale's commission was paid out


class CommissionStatus(StrEnum):
    PENDING = "pending"  # inside the holding period (or waiting for the operator's review)
    APPROVED = "approved"  # payable in the next payout
    PAID = "paid"  # in a payout; never changed again
    REJECTED = "rejected"  # refunded or cancelled in full before payment, or refused


class Source(StrEnum):
    COUPON = "coupon"  # the affiliate's coupon was used
    CLICK = "click"  # a click within the cookie's lifetime
    LIFETIME = "lifetime"  # the buyer's account is remembered for the affiliate


class AffiliateCommission(TenantScoped, db.Model):
    """One affiliate's commission on one shop order (tier 1, or tier 2 for the recruiter)."""

    __tablename__ = "affiliate_commissions"

    order_id: Mapped[UUID]
    affiliate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliates.id"))
    tier: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    kind: Mapped[CommissionKind] = mapped_column(
        str_enum(CommissionKind), default=CommissionKind.SALE
    )
    clawback_of_id: Mapped[UUID | None]  # the paid sale commission a clawback reverses
    event_key: Mapped[str | None] = mapped_column(sa.String(80))  # a clawback's refund, once
    source: Mapped[Source] = mapped_column(str_enum(Source))
    rule: Mapped[str] = mapped_column(sa.String(32))  # product, private, shop, mall, tier 2
    rate_kind: Mapped[RateKind] = mapped_column(str_enum(RateKind))
    rate_bp: Mapped[int] = mapped_column(default=0)
    rate_fixed: Mapped[int] = mapped_column(AMOUNT, default=0)
    base: Mapped[int] = mapped_column(AMOUNT)  # net of discounts and tax (shipping if counted)
    original_amount: Mapped[int] = mapped_column(AMOUNT)
    amount: Mapped[int] = mapped_column(AMOUNT)  # what it is worth now (< 0: a clawback)
    status: Mapped[CommissionStatus] = mapped_column(
        str_enum(CommissionStatus), default=CommissionStatus.PENDING
    )
    held_until: Mapped[datetime]
    needs_review: Mapped[bool] = mapped_column(default=False)  # above the review amount
    flags: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # reasons, for the operator
    clicked_at: Mapped[datetime | None]  # the click that won, if any
    payout_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("affiliate_payouts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]  # approved or rejected
    paid_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["order_id"], "orders", name="fk_affiliate_commissions_order"),
        sa.CheckConstraint("tier IN (1, 2)", name="tier_one_or_two"),
        sa.Index(
            "uq_affiliate_commissions_sale",
            "tenant_id",
            "order_id",
            "tier",
            unique=True,
            postgresql_where=sa.text("kind = 'sale'"),
            sqlite_where=sa.text("kind = 'sale'"),
        ),
        sa.Index(
            "uq_affiliate_commissions_event_key",
            "tenant_id",
            "event_key",
            unique=True,
            postgresql_where=sa.text("event_key IS NOT NULL"),
            sqlite_where=sa.text("event_key IS NOT NULL"),
        ),
        sa.Index("ix_affiliate_commissions_tenant_id_order_id", "tenant_id", "order_id"),
        # The affiliate's own commissions, newest first, and the approval job's sweep.
        sa.Index("ix_affiliate_commissions_affiliate_id_created_at", "affiliate_id", "created_at"),
        sa.Index("ix_affiliate_commissions_status_held_until", "status", "held_until"),
        sa.Index("ix_affiliate_commissions_tenant_id_created_at", "tenant_id", "created_at"),
        sa.Index("ix_affiliate_commissions_payout_id", "payout_id"),
    )
