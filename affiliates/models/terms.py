"""What each shop offers affiliates (the shop's tables, row-level security).

- ``affiliate_terms`` (one per shop): in or out of the mall program, the shop's own
  rate, whether shipping counts, lifetime attribution, a private program.
- ``affiliate_product_rates``: a rate for one product (it wins over every other).
- ``shop_affiliates``: the affiliates of the shop's private program, invited by
  code or by email (sealed under the shop's key), with an optional rate of their own.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.keys import EncryptedField, normalise_email
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class RateKind(StrEnum):
    PERCENT = "percent"  # basis points of the base
    FIXED = "fixed"  # minor units per unit sold, never more than the base


class _Rate:
    """A rate: percent (``rate_bp``) or fixed (``rate_fixed`` per unit); no kind: not set."""

    rate_kind: Mapped[RateKind | None] = mapped_column(str_enum(RateKind))
    rate_bp: Mapped[int] = mapped_column(default=0)
    rate_fixed: Mapped[int] = mapped_column(AMOUNT, default=0)


RATE_CHECKS = (
    sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_bp_range"),
    sa.CheckConstraint("rate_fixed >= 0", name="rate_fixed_not_negative"),
)


class AffiliateTerms(TenantScoped, _Rate, Timestamped, db.Model):
    """The shop's terms for affiliates (a shop without a row: in the mall program, mall rate)."""

    __tablename__ = "affiliate_terms"

    in_mall_program: Mapped[bool] = mapped_column(default=True)
    include_shipping: Mapped[bool] = mapped_column(default=False)
    lifetime_attribution: Mapped[bool] = mapped_column(default=False)
    private_program: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        *RATE_CHECKS,
        # One row per shop: the primary key's tenant_id is not unique on its own.
        tenant_unique(name="uq_affiliate_terms_tenant_id"),
    )


class AffiliateProductRate(TenantScoped, _Rate, Timestamped, db.Model):
    """The shop's affiliate rate for one product."""

    __tablename__ = "affiliate_product_rates"

    product_id: Mapped[UUID]

    __table_args__ = (
        *RATE_CHECKS,
        tenant_fk(["product_id"], "products", ondelete="CASCADE"),
        tenant_unique("product_id"),
    )


class ShopAffiliateStatus(StrEnum):
    INVITED = "invited"  # by email: waits for the person to accept with their affiliate account
    ACTIVE = "active"
    REMOVED = "removed"


class ShopAffiliate(TenantScoped, _Rate, Timestamped, db.Model):
    """An affiliate in the shop's private program (or invited to it)."""

    __tablename__ = "shop_affiliates"

    affiliate_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("affiliates.id"))
    status: Mapped[ShopAffiliateStatus] = mapped_column(
        str_enum(ShopAffiliateStatus), default=ShopAffiliateStatus.INVITED
    )
    email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    invited_by_id: Mapped[UUID | None]  # no foreign key: staff come and go
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)

    __table_args__ = (
        *RATE_CHECKS,
        tenant_unique("affiliate_id"),
        tenant_unique("email_index"),
        sa.Index("ix_shop_affiliates_affiliate_id", "affiliate_id"),
    )
