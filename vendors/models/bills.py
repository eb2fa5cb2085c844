"""Vendor bills (what the shop owes its vendors), credit notes, and payments of bills.

A bill's ``total`` and ``paid`` are minor units; ``paid`` moves only with a payment's
allocation, and ``credited`` only with a credit note, by conditional UPDATEs. Opening a
bill and paying it post to the shop's own purchasing books in the ledger, once each
(idempotency keys ``vendor_bill:<id>``, ``bill_payment:<id>``, ``vendor_credit:<id>``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class BillStatus(StrEnum):
    """draft -> open -> partially_paid -> paid; void (releases its billed quantities)."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class VendorBill(TenantScoped, db.Model):
    """A vendor's bill: from a PO (its lines bill PO lines) or standalone."""

    __tablename__ = "vendor_bills"

    vendor_id: Mapped[UUID]
    po_id: Mapped[UUID | None]
    vendor_number: Mapped[str] = mapped_column(sa.String(60), default="")  # the vendor's number
    reference: Mapped[str] = mapped_column(sa.String(40))  # ours: ACME-BILL-3
    status: Mapped[BillStatus] = mapped_column(str_enum(BillStatus), default=BillStatus.DRAFT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    issued_on: Mapped[date]
    due_on: Mapped[date]  # issued + the vendor's payment terms, unless typed
    total: Mapped[int] = mapped_column(AMOUNT, default=0)
    paid: Mapped[int] = mapped_column(AMOUNT, default=0)
    credited: Mapped[int] = mapped_column(AMOUNT, default=0)
    # Where the bill differs from its PO (price, quantity): listed for review, never blocking.
    exceptions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    exception_reviewed_at: Mapped[datetime | None]
    # Why quantities beyond the billing policy's limit were billed (the explicit override).
    override_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    bill_key: Mapped[str] = mapped_column(sa.String(40))  # the form's key: one bill per submit
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]

    lines: Mapped[list[VendorBillLine]] = relationship(
        back_populates="bill", order_by="VendorBillLine.position", overlaps="lines"
    )

    @property
    def owed(self) -> int:
        """What is left to pay: total less payments and credit notes."""
        return self.total - self.paid - self.credited

    __table_args__ = (
        tenant_fk(["vendor_id"], "vendors"),
        tenant_fk(["po_id"], "purchase_orders"),
        tenant_unique("reference"),
        tenant_unique("bill_key"),
        sa.Index("ix_vendor_bills_tenant_id_status_due_on", "tenant_id", "status", "due_on"),
        sa.Index(
            "ix_vendor_bills_tenant_id_vendor_id_issued_on", "tenant_id", "vendor_id", "issued_on"
        ),
        sa.Index("ix_vendor_bills_tenant_id_po_id", "tenant_id", "po_id"),
        sa.Index("ix_vendor_bills_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint("paid >= 0", name="paid_not_negative"),
        sa.CheckConstraint("credited >= 0", name="credited_not_negative"),
    )


# A vendor's bill number is recorded once (voided bills and bills without one aside), so the
# same bill is never paid twice: the service says so first (whatever the letters' case),
# this index is the last guard (as typed: SQLite cannot reflect an index on lower()).
_LIVE_NUMBER = sa.and_(VendorBill.vendor_number != "", VendorBill.status != BillStatus.VOID.value)
sa.Index(
    "uq_vendor_bills_vendor_number",
    VendorBill.tenant_id,
    VendorBill.vendor_id,
    VendorBill.vendor_number,
    unique=True,
    postgresql_where=_LIVE_NUMBER,
    sqlite_where=_LIVE_NUMBER,
)


class VendorBillLine(TenantScoped, db.Model):
    """One line of a bill: packs of a PO line, or a free line (freight, a standalone item)."""

    __tablename__ = "vendor_bill_lines"

    bill_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(default=0)
    po_line_id: Mapped[UUID | None]
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[int]
    unit_cost: Mapped[int] = mapped_column(AMOUNT)
    amount: Mapped[int] = mapped_column(AMOUNT)  # quantity x unit cost

    bill: Mapped[VendorBill] = relationship(back_populates="lines", overlaps="lines")

    __table_args__ = (
        tenant_fk(["bill_id"], "vendor_bills", ondelete="CASCADE"),
        tenant_fk(["po_line_id"], "purchase_order_lines"),
        sa.Index("ix_vendor_bill_lines_tenant_id_bill_id", "tenant_id", "bill_id"),
        sa.Index("ix_vendor_bill_lines_tenant_id_po_line_id", "tenant_id", "po_line_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )


class VendorCredit(TenantScoped, db.Model):
    """A vendor's credit note against one bill: it lowers what is owed and what was billed."""

    __tablename__ = "vendor_credits"

    vendor_id: Mapped[UUID]
    bill_id: Mapped[UUID]
    vendor_number: Mapped[str] = mapped_column(sa.String(60), default="")
    reference: Mapped[str] = mapped_column(sa.String(40))  # ours: ACME-VCN-2
    credit_key: Mapped[str] = mapped_column(sa.String(40))
    issued_on: Mapped[date]
    total: Mapped[int] = mapped_column(AMOUNT)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[VendorCreditLine]] = relationship(
        back_populates="credit", order_by="VendorCreditLine.id", overlaps="lines"
    )

    __table_args__ = (
        tenant_fk(["vendor_id"], "vendors"),
        tenant_fk(["bill_id"], "vendor_bills"),
        tenant_unique("reference"),
        tenant_unique("credit_key"),
        sa.Index("ix_vendor_credits_tenant_id_bill_id", "tenant_id", "bill_id"),
        sa.CheckConstraint("total > 0", name="total_positive"),
    )


class VendorCreditLine(TenantScoped, db.Model):
    """Packs of a bill line credited (their billed quantity goes back), or an amount alone."""

    __tablename__ = "vendor_credit_lines"

    credit_id: Mapped[UUID]
    bill_line_id: Mapped[UUID | None]
    quantity: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int] = mapped_column(AMOUNT)

    credit: Mapped[VendorCredit] = relationship(back_populates="lines", overlaps="lines")

    __table_args__ = (
        tenant_fk(["credit_id"], "vendor_credits", ondelete="CASCADE"),
        tenant_fk(["bill_line_id"], "vendor_bill_lines"),
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )


class BillPayment(TenantScoped, db.Model):
    """Money the shop paid a vendor, over one or several of its bills."""

    __tablename__ = "bill_payments"

    vendor_id: Mapped[UUID]
    payment_key: Mapped[str] = mapped_column(sa.String(40))  # the form's key: a repeat pays once
    paid_on: Mapped[date]
    method: Mapped[str] = mapped_column(sa.String(32))  # bank_transfer, card, cheque, cash, other
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[int] = mapped_column(AMOUNT)
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    allocations: Mapped[list[BillPaymentAllocation]] = relationship(
        back_populates="payment", order_by="BillPaymentAllocation.id", overlaps="allocations"
    )

    __table_args__ = (
        tenant_fk(["vendor_id"], "vendors"),
        tenant_unique("payment_key"),
        sa.Index(
            "ix_bill_payments_tenant_id_vendor_id_paid_on", "tenant_id", "vendor_id", "paid_on"
        ),
        sa.Index("ix_bill_payments_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )


class BillPaymentAllocation(TenantScoped, db.Model):
    """The part of a payment applied to one bill."""

    __tablename__ = "bill_payment_allocations"

    payment_id: Mapped[UUID]
    bill_id: Mapped[UUID]
    amount: Mapped[int] = mapped_column(AMOUNT)

    payment: Mapped[BillPayment] = relationship(
        back_populates="allocations", overlaps="allocations"
    )

    __table_args__ = (
        tenant_fk(["payment_id"], "bill_payments", ondelete="CASCADE"),
        tenant_fk(["bill_id"], "vendor_bills"),
        tenant_unique("payment_id", "bill_id"),
        sa.Index("ix_bill_payment_allocations_tenant_id_bill_id", "tenant_id", "bill_id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )
