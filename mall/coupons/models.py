"""Coupons and their redemptions: a shop's (tenant tables) and the mall's (platform tables).

A shop coupon is funded by its shop; a mall coupon, made by an operator, by the platform.
``times_used`` counts held and used redemptions; it is changed only by conditional UPDATEs
in ``services`` (never read-modify-write), so concurrent checkouts cannot pass the limit.
A redemption is unique per (coupon, checkout): a retried submission redeems once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.coupons.rules import CouponKind
from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique

CODE_LENGTH = 32


class RedemptionStatus(StrEnum):
    HELD = "held"  # the checkout was submitted and awaits payment: the use counts
    USED = "used"  # the checkout was paid
    RELEASED = "released"  # the checkout expired or was cancelled: the use was given back


class CouponFields:
    """What a shop coupon and a mall coupon share."""

    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH))  # upper case
    kind: Mapped[CouponKind] = mapped_column(str_enum(CouponKind))
    percent_bp: Mapped[int] = mapped_column(default=0)  # for a percentage (1..10,000)
    amount: Mapped[int] = mapped_column(AMOUNT, default=0)  # for a fixed amount off
    minimum_subtotal: Mapped[int] = mapped_column(AMOUNT, default=0)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]  # exclusive; None: no end
    usage_limit: Mapped[int | None]  # uses in all; None: no limit
    per_customer_limit: Mapped[int | None]  # uses per customer; None: no limit
    times_used: Mapped[int] = mapped_column(default=0)  # held + used redemptions
    category_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # uuid hex
    active: Mapped[bool] = mapped_column(default=True)
    # An affiliate's own code attributes the sale to them (linked in a later issue).
    affiliate_id: Mapped[UUID | None]

    @property
    def last_day(self) -> date | None:
        """The last day it can be used (``ends_at`` is the midnight after it), or None."""
        return (self.ends_at - timedelta(days=1)).date() if self.ends_at else None

    @property
    def restricted(self) -> bool:
        """True when only some products or categories are eligible."""
        return bool(self.category_ids or getattr(self, "product_ids", None))

    def state(self, now: datetime) -> str:
        """ "active", "scheduled", "expired", "used up" or "inactive" (for the lists)."""
        if not self.active:
            return "inactive"
        if self.ends_at is not None and self.ends_at <= now:
            return "expired"
        if self.starts_at > now:
            return "scheduled"
        if self.usage_limit is not None and self.times_used >= self.usage_limit:
            return "used up"
        return "active"


class ShopCoupon(TenantScoped, CouponFields, Timestamped, db.Model):
    """A shop's coupon, on its own lines only (and perhaps some of its products)."""

    __tablename__ = "shop_coupons"

    product_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # uuid hex

    __table_args__ = (
        # Codes are looked up (cart) and listed (back office) by this index.
        tenant_unique("code"),
    )


class MallCoupon(PlatformModel, CouponFields, Timestamped, db.Model):
    """A mall coupon, made by an operator, on every shop's lines (perhaps some categories)."""

    __tablename__ = "mall_coupons"

    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (sa.UniqueConstraint("code"),)


class RedemptionFields:
    """What both kinds of redemption record."""

    checkout_id: Mapped[UUID]  # the checkouts table comes later: no foreign key
    user_id: Mapped[UUID | None]
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))  # blind index
    amount: Mapped[int] = mapped_column(AMOUNT, default=0)  # the discount given
    status: Mapped[RedemptionStatus] = mapped_column(
        str_enum(RedemptionStatus), default=RedemptionStatus.HELD
    )


class ShopCouponRedemption(TenantScoped, RedemptionFields, Timestamped, db.Model):
    """One use of a shop coupon by one checkout."""

    __tablename__ = "shop_coupon_redemptions"

    coupon_id: Mapped[UUID]

    __table_args__ = (
        tenant_fk(["coupon_id"], "shop_coupons", ondelete="CASCADE"),
        tenant_unique("coupon_id", "checkout_id"),
        # Paid, expired, cancelled: a checkout's redemptions are found by it.
        sa.Index("ix_shop_coupon_redemptions_checkout_id", "checkout_id"),
    )


class MallCouponRedemption(PlatformModel, RedemptionFields, Timestamped, db.Model):
    """One use of a mall coupon by one checkout."""

    __tablename__ = "mall_coupon_redemptions"

    coupon_id: Mapped[UUID] = mapped_column(sa.ForeignKey("mall_coupons.id", ondelete="CASCADE"))

    __table_args__ = (
        sa.UniqueConstraint("coupon_id", "checkout_id"),
        sa.Index("ix_mall_coupon_redemptions_checkout_id", "checkout_id"),
    )
