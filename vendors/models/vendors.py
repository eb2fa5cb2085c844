"""Vendors (a shop's suppliers), what each supplies, and the shop's purchasing settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.keys import EncryptedField, normalise_email
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique

DEFAULT_PAYMENT_TERMS_DAYS = 30


class VendorStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"  # kept with its history; offered for nothing new


class BillingPolicy(StrEnum):
    """What a bill from a PO may bill at most: what arrived, or what was ordered."""

    RECEIVED = "received"
    ORDERED = "ordered"


class Vendor(TenantScoped, db.Model):
    """A supplier of the shop: the company name is plain (searched), its people's data sealed."""

    __tablename__ = "vendors"

    name: Mapped[str] = mapped_column(sa.String(200))
    contact_name_ct: Mapped[bytes | None] = mapped_column("contact_name", sa.LargeBinary)
    email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    phone_ct: Mapped[bytes | None] = mapped_column("phone", sa.LargeBinary)
    address_ct: Mapped[bytes | None] = mapped_column("address", sa.LargeBinary)  # sealed JSON
    notes_ct: Mapped[bytes | None] = mapped_column("notes", sa.LargeBinary)
    payment_terms_days: Mapped[int] = mapped_column(default=DEFAULT_PAYMENT_TERMS_DAYS)
    currency_note: Mapped[str] = mapped_column(sa.String(100), default="")
    lead_time_days: Mapped[int] = mapped_column(default=0)
    billing_policy: Mapped[BillingPolicy] = mapped_column(
        str_enum(BillingPolicy), default=BillingPolicy.RECEIVED
    )
    status: Mapped[VendorStatus] = mapped_column(
        str_enum(VendorStatus), default=VendorStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact_name = EncryptedField("contact_name_ct")
    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    phone = EncryptedField("phone_ct")
    address_json = EncryptedField("address_ct")
    notes = EncryptedField("notes_ct")

    __table_args__ = (
        sa.Index("ix_vendors_tenant_id_status_name", "tenant_id", "status", "name"),
        sa.CheckConstraint("payment_terms_days >= 0", name="terms_not_negative"),
        sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
    )


class VendorProduct(TenantScoped, db.Model):
    """What one vendor supplies of one variant: its SKU, cost per pack, pack size, minimum."""

    __tablename__ = "vendor_products"

    vendor_id: Mapped[UUID]
    variant_id: Mapped[UUID]
    vendor_sku: Mapped[str] = mapped_column(sa.String(64), default="")
    unit_cost: Mapped[int] = mapped_column(AMOUNT, default=0)  # per pack, minor units
    pack_size: Mapped[int] = mapped_column(default=1)  # stock units in one pack
    min_order_packs: Mapped[int] = mapped_column(default=1)
    drop_ship: Mapped[bool] = mapped_column(default=False)  # the vendor ships to the customer
    preferred: Mapped[bool] = mapped_column(default=False)  # reorder suggestions use this vendor
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["vendor_id"], "vendors", ondelete="CASCADE"),
        tenant_fk(["variant_id"], "variants", ondelete="CASCADE"),
        tenant_unique("vendor_id", "variant_id"),
        # One preferred vendor per variant.
        sa.Index(
            "uq_vendor_products_preferred",
            "tenant_id",
            "variant_id",
            unique=True,
            sqlite_where=sa.text("preferred"),
            postgresql_where=sa.text("preferred"),
        ),
        sa.Index("ix_vendor_products_tenant_id_variant_id", "tenant_id", "variant_id"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        sa.CheckConstraint("min_order_packs >= 1", name="min_order_positive"),
    )


class PurchasingSettings(TenantScoped, db.Model):
    """The shop's purchasing rules (one row per shop; absent: the defaults)."""

    __tablename__ = "purchasing_settings"

    # How much more than ordered a receipt may take, in basis points of the ordered quantity.
    over_receipt_bp: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        tenant_unique(name="uq_purchasing_settings_tenant_id"),
        sa.CheckConstraint("over_receipt_bp >= 0", name="over_receipt_not_negative"),
    )
