"""A shop's shipping methods, tax rates and pricing settings (tenant tables).

Weight tiers live on the method as JSON (``[{"up_to_grams": 500, "price": 450}, …]``,
increasing, validated by ``services``): a quote reads every method of every shop in a
cart in one query.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import Timestamped, str_enum
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_unique


class ShippingKind(StrEnum):
    FLAT = "flat"  # one price (free above an optional subtotal)
    WEIGHT = "weight"  # the price of the first tier that holds the parcel's weight
    FREE = "free"  # free, when the subtotal reaches ``free_above`` (if set)
    PICKUP = "pickup"  # collected at the shop: free, the address is the description


class ShippingMethod(TenantScoped, Timestamped, db.Model):
    """One way a shop sends its goods, to some countries (none listed: everywhere)."""

    __tablename__ = "shipping_methods"

    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[ShippingKind] = mapped_column(str_enum(ShippingKind))
    price: Mapped[int] = mapped_column(AMOUNT, default=0)
    free_above: Mapped[int | None] = mapped_column(AMOUNT)
    countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (
        # The admin list and the quote read a shop's methods in this order.
        sa.Index("ix_shipping_methods_tenant_id_position", "tenant_id", "position"),
        # A double submit of "add" finds the name taken and adds nothing.
        tenant_unique("name"),
    )


class TaxRate(TenantScoped, Timestamped, db.Model):
    """The rate a shop charges on a tax class for one destination country."""

    __tablename__ = "tax_rates"

    tax_class: Mapped[str] = mapped_column(sa.String(32))
    country: Mapped[str] = mapped_column(sa.String(2))
    rate_bp: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100), default="")

    __table_args__ = (tenant_unique("tax_class", "country"),)


class PricingSettings(TenantScoped, Timestamped, db.Model):
    """A shop's pricing settings: one row per shop (none: the defaults)."""

    __tablename__ = "pricing_settings"

    prices_include_tax: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (tenant_unique(name="uq_pricing_settings_tenant_id"),)
