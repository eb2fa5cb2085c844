"""Purchase orders to one vendor, their lines, and the receipts of goods against them.

Quantities on a PO line are packs (the vendor's unit); a receipt line's packs enter
stock as ``packs x pack_size`` units through a stock movement. ``quantity_received``,
``quantity_billed`` and ``quantity_closed`` only ever move by conditional UPDATEs in
the services, so a double click or a replayed request counts once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.keys import EncryptedField
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class PurchaseStatus(StrEnum):
    """draft -> sent -> partially_received -> received -> closed; cancelled before any receipt."""

    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PurchaseCounter(TenantScoped, db.Model):
    """The last number of one of a shop's purchasing series: ``po`` (``ACME-PO-7``),
    ``bill`` (``ACME-BILL-3``), ``credit`` (``ACME-VCN-1``). Taken by one UPDATE."""

    __tablename__ = "purchase_counters"

    series: Mapped[str] = mapped_column(sa.String(16))
    last_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (tenant_unique("series"),)


class PurchaseOrder(TenantScoped, db.Model):
    """An order the shop places with one vendor: for its stock, or drop-shipped to a customer."""

    __tablename__ = "purchase_orders"

    number: Mapped[str] = mapped_column(sa.String(40))
    vendor_id: Mapped[UUID]
    status: Mapped[PurchaseStatus] = mapped_column(
        str_enum(PurchaseStatus, 24), default=PurchaseStatus.DRAFT
    )
    currency: Mapped[str] = mapped_column(sa.String(3))
    drop_ship: Mapped[bool] = mapped_column(default=False)
    # The customer's order a drop-ship PO fulfils (one PO per vendor per order).
    order_id: Mapped[UUID | None]
    # Sealed JSON: the customer's name and shipping address, on drop-ship POs only.
    ship_to_ct: Mapped[bytes | None] = mapped_column("ship_to", sa.LargeBinary)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")  # to the vendor, on the PO
    expected_on: Mapped[date | None]  # the vendor's expected ship date
    vendor_confirmed_at: Mapped[datetime | None]
    carrier: Mapped[str] = mapped_column(sa.String(40), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(100), default="")
    # Part of every vendor link's token: a new version ends the links sent before.
    link_version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    ship_to_json = EncryptedField("ship_to_ct")

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", order_by="PurchaseOrderLine.position", overlaps="lines"
    )

    __table_args__ = (
        tenant_fk(["vendor_id"], "vendors"),
        tenant_fk(["order_id"], "orders"),
        tenant_unique("number"),
        # The replay guard of drop-ship: one PO per vendor per customer order.
        sa.Index(
            "uq_purchase_orders_order_vendor",
            "tenant_id",
            "order_id",
            "vendor_id",
            unique=True,
            sqlite_where=sa.text("order_id IS NOT NULL"),
            postgresql_where=sa.text("order_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_purchase_orders_tenant_id_status_created_at", "tenant_id", "status", "created_at"
        ),
        sa.Index("ix_purchase_orders_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.Index("ix_purchase_orders_tenant_id_vendor_id", "tenant_id", "vendor_id"),
    )


class PurchaseOrderLine(TenantScoped, db.Model):
    """Packs of one variant ordered from the vendor, and how many arrived, were billed, closed."""

    __tablename__ = "purchase_order_lines"

    po_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(default=0)
    variant_id: Mapped[UUID]  # no foreign key: the PO outlives a deleted product
    description: Mapped[str] = mapped_column(sa.String(300))  # product title and options, then
    sku: Mapped[str] = mapped_column(sa.String(64), default="")  # the shop's SKU, then
    vendor_sku: Mapped[str] = mapped_column(sa.String(64), default="")
    pack_size: Mapped[int] = mapped_column(default=1)  # stock units per pack, frozen on the PO
    unit_cost: Mapped[int] = mapped_column(AMOUNT)  # per pack
    quantity_ordered: Mapped[int]  # packs
    quantity_received: Mapped[int] = mapped_column(default=0)
    quantity_billed: Mapped[int] = mapped_column(default=0)
    quantity_closed: Mapped[int] = mapped_column(default=0)  # closed short: will not come
    order_line_id: Mapped[UUID | None]  # the customer's order line (drop-ship)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines", overlaps="lines")

    __table_args__ = (
        tenant_fk(["po_id"], "purchase_orders", ondelete="CASCADE"),
        sa.Index("ix_purchase_order_lines_tenant_id_po_id", "tenant_id", "po_id"),
        sa.CheckConstraint("quantity_ordered > 0", name="ordered_positive"),
        sa.CheckConstraint("quantity_received >= 0", name="received_not_negative"),
        sa.CheckConstraint("quantity_billed >= 0", name="billed_not_negative"),
        sa.CheckConstraint("quantity_closed >= 0", name="closed_not_negative"),
        sa.CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )


class PurchaseReceipt(TenantScoped, db.Model):
    """Goods that arrived against a PO in one "Receive" (or, drop-ship, one vendor shipment)."""

    __tablename__ = "purchase_receipts"

    po_id: Mapped[UUID]
    # The rendered form's key: a double click or a retried POST makes one receipt.
    receipt_key: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[PurchaseReceiptLine]] = relationship(
        back_populates="receipt", order_by="PurchaseReceiptLine.id", overlaps="lines"
    )

    __table_args__ = (
        tenant_fk(["po_id"], "purchase_orders", ondelete="CASCADE"),
        tenant_unique("receipt_key"),
        sa.Index("ix_purchase_receipts_tenant_id_po_id", "tenant_id", "po_id"),
    )


class PurchaseReceiptLine(TenantScoped, db.Model):
    """Packs of one PO line received; ``units`` = packs x the line's pack size (into stock)."""

    __tablename__ = "purchase_receipt_lines"

    receipt_id: Mapped[UUID]
    po_line_id: Mapped[UUID]
    packs: Mapped[int]
    units: Mapped[int]

    receipt: Mapped[PurchaseReceipt] = relationship(back_populates="lines", overlaps="lines")

    __table_args__ = (
        tenant_fk(["receipt_id"], "purchase_receipts", ondelete="CASCADE"),
        tenant_fk(["po_line_id"], "purchase_order_lines", ondelete="CASCADE"),
        sa.Index("ix_purchase_receipt_lines_tenant_id_receipt_id", "tenant_id", "receipt_id"),
        sa.CheckConstraint("packs > 0", name="packs_positive"),
    )
