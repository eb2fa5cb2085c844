"""Invoices and credit notes: numbered per shop without gaps, frozen when issued.

Every row belongs to the shop that sold (``TenantScoped``, row-level security).
A document stores a snapshot of what it shows (lines, the tax by rate, shipping,
totals, the shop's invoice details at the time) as JSON, so a later change to the
order, the products or the shop's details never changes an issued document. The
parties' postal details are personal data: the buyer's name, address and email
and the shop's address and contact email are sealed under the shop's key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.keys import EncryptedField
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class DocumentKind(StrEnum):
    """An invoice (an order was paid) or a credit note (part of it was refunded)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceCounter(TenantScoped, db.Model):
    """The last number of one series (invoices, credit notes) of a shop: taken by one UPDATE."""

    __tablename__ = "invoice_counters"

    series: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    last_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (tenant_unique("series"),)


class InvoiceSettings(TenantScoped, db.Model):
    """What the shop's invoices say about the seller (one row per shop, typed by its staff)."""

    __tablename__ = "invoice_settings"

    legal_name: Mapped[str] = mapped_column(sa.String(200), default="")
    vat_number: Mapped[str] = mapped_column(sa.String(40), default="")
    footer: Mapped[str] = mapped_column(sa.String(500), default="")  # registration, bank, terms
    address_ct: Mapped[bytes | None] = mapped_column("address", sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Sealed: a sole trader's business address is their home address.
    address = EncryptedField("address_ct")

    __table_args__ = (tenant_unique(name="uq_invoice_settings_tenant_id"),)


class Invoice(TenantScoped, db.Model):
    """An issued invoice or credit note: its number, totals and frozen snapshot."""

    __tablename__ = "invoices"

    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    number: Mapped[str] = mapped_column(sa.String(40))
    sequence: Mapped[int] = mapped_column(sa.BigInteger)  # the number within its series
    # The order it invoices; None for an invoice entered by staff until it is paid.
    order_id: Mapped[UUID | None]
    # What it was issued for, once: the order (an invoice) or the order refund (a credit note).
    source_id: Mapped[UUID]
    currency: Mapped[str] = mapped_column(sa.String(3))
    total: Mapped[int] = mapped_column(AMOUNT)  # tax included; a credit note's is what went back
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sealed JSON: the buyer's name, address and email; the seller's address and email.
    buyer_ct: Mapped[bytes | None] = mapped_column("buyer", sa.LargeBinary)
    seller_ct: Mapped[bytes | None] = mapped_column("seller", sa.LargeBinary)

    buyer_json = EncryptedField("buyer_ct")
    seller_json = EncryptedField("seller_ct")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("kind", "number"),
        tenant_unique("kind", "source_id"),  # one invoice per order, one credit note per refund
        sa.Index("ix_invoices_tenant_id_issued_at", "tenant_id", "issued_at"),
        sa.Index("ix_invoices_tenant_id_order_id", "tenant_id", "order_id"),
    )
