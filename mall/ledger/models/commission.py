"""Commission: the operator's rates, and each order line's commission frozen at payment.

- ``commission_rates`` (platform): the rate per shop, optionally per category.
- ``order_commissions`` (the shop's, row-level security): each order line's
  commission (or the shipping's) as frozen when the order was paid.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, Timestamped
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class CommissionRate(PlatformModel, Timestamped, db.Model):
    """The operator's commission rate for a shop, or for a category in that shop."""

    __tablename__ = "commission_rates"

    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    category_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE")
    )
    rate_bp: Mapped[int]

    __table_args__ = (
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_bp_range"),
        sa.UniqueConstraint("shop_id", "category_id"),
        sa.Index(
            "uq_commission_rates_shop_default",
            "shop_id",
            unique=True,
            postgresql_where=sa.text("category_id IS NULL"),
            sqlite_where=sa.text("category_id IS NULL"),
        ),
    )


class OrderCommission(TenantScoped, db.Model):
    """One order line's commission (or the shipping's), frozen when the order was paid.

    Refunds reverse at these values (``reversed`` so far), never at today's rate.
    """

    __tablename__ = "order_commissions"

    order_id: Mapped[UUID]
    order_line_id: Mapped[UUID | None]  # None: the shipping, when it counts
    rule: Mapped[str] = mapped_column(sa.String(64))  # "category:<name>", "shop", "mall default"
    rate_bp: Mapped[int]
    base: Mapped[int] = mapped_column(AMOUNT)  # net of tax and shop-funded discount
    amount: Mapped[int] = mapped_column(AMOUNT)
    fee_tax: Mapped[int] = mapped_column(AMOUNT, default=0)  # tax on the platform's fee
    reversed: Mapped[int] = mapped_column(AMOUNT, default=0)
    reversed_fee_tax: Mapped[int] = mapped_column(AMOUNT, default=0)

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("order_id", "order_line_id"),
        sa.Index("ix_order_commissions_tenant_id_order_id", "tenant_id", "order_id"),
    )
