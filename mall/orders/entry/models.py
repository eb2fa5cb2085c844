"""Quotes and invoices entered by staff, their lines, and recurring-invoice schedules.

A sales document belongs to one shop (``TenantScoped``, row-level security). Its
customer is the shop's CRM customer; the copies it shows (name, email, addresses) are
sealed under the shop's key. A quote is numbered in the shop's ``quote`` series when
it is sent; an invoice takes the next number of the shop's invoice series (the one
its web orders' invoices use, ``mall.invoices.numbers``) when it is issued. Paying an
invoice makes one normal order (``order_id``); the conditional UPDATE that records the
payment is the replay guard.
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
from tenants.keys import EncryptedField, normalise_email
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class SalesKind(StrEnum):
    QUOTE = "quote"
    INVOICE = "invoice"


class SalesStatus(StrEnum):
    """Quote: draft -> sent -> accepted -> invoiced; invoice: draft -> sent -> paid; void."""

    DRAFT = "draft"
    SENT = "sent"  # a quote sent, or an invoice issued (numbered) and sent
    ACCEPTED = "accepted"
    INVOICED = "invoiced"  # a quote turned into an invoice
    PAID = "paid"
    VOID = "void"


class ScheduleEvery(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class SalesCounter(TenantScoped, db.Model):
    """The last quote number of a shop (``ACME-Q-4``): taken by one UPDATE, no gaps."""

    __tablename__ = "sales_counters"

    series: Mapped[str] = mapped_column(sa.String(16))
    last_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (tenant_unique("series"),)


class SalesDocument(TenantScoped, db.Model):
    """A quote or an invoice entered by staff, for one CRM customer."""

    __tablename__ = "sales_documents"

    kind: Mapped[SalesKind] = mapped_column(str_enum(SalesKind))
    number: Mapped[str | None] = mapped_column(sa.String(40))  # given when sent or issued
    status: Mapped[SalesStatus] = mapped_column(str_enum(SalesStatus), default=SalesStatus.DRAFT)
    customer_id: Mapped[UUID]
    # Sealed copies, as on the document: the customer's name, email, phone; the addresses (JSON).
    name_ct: Mapped[bytes | None] = mapped_column("name", sa.LargeBinary)
    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    phone_ct: Mapped[bytes | None] = mapped_column("phone", sa.LargeBinary)
    shipping_address_ct: Mapped[bytes | None] = mapped_column("shipping_address", sa.LargeBinary)
    billing_address_ct: Mapped[bytes | None] = mapped_column("billing_address", sa.LargeBinary)
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[int] = mapped_column(AMOUNT, default=0)
    discount: Mapped[int] = mapped_column(AMOUNT, default=0)
    shipping_method_id: Mapped[UUID | None]
    shipping_method_name: Mapped[str] = mapped_column(sa.String(100), default="")
    shipping_amount: Mapped[int] = mapped_column(AMOUNT, default=0)
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)
    total: Mapped[int] = mapped_column(AMOUNT, default=0)
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")  # printed for the customer
    entered_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The form's key that created it: a double click makes one document.
    request_key: Mapped[str] = mapped_column(sa.String(40))
    quote_id: Mapped[UUID | None]  # the quote an invoice was made from
    schedule_id: Mapped[UUID | None]  # the recurring schedule that issued it
    invoice_id: Mapped[UUID | None]  # the issued ``invoices`` row (number, snapshot, PDF)
    order_id: Mapped[UUID | None]  # the order its payment made
    # Part of every pay link's token: voiding or re-issuing ends the links sent before.
    pay_token_version: Mapped[int] = mapped_column(default=1)
    issued_on: Mapped[date | None]
    due_on: Mapped[date | None]
    valid_until: Mapped[date | None]  # a quote's
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    paid_method: Mapped[str] = mapped_column(sa.String(32), default="")
    voided_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    name = EncryptedField("name_ct")
    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    phone = EncryptedField("phone_ct")
    shipping_address_json = EncryptedField("shipping_address_ct")
    billing_address_json = EncryptedField("billing_address_ct")

    lines: Mapped[list[SalesDocumentLine]] = relationship(
        back_populates="document", order_by="SalesDocumentLine.position", overlaps="lines"
    )

    __table_args__ = (
        tenant_fk(["customer_id"], "crm_customers"),
        tenant_fk(["order_id"], "orders"),
        tenant_unique("kind", "number"),
        tenant_unique("request_key"),
        tenant_unique("order_id"),
        sa.Index(
            "ix_sales_documents_tenant_id_kind_created_at_id",
            "tenant_id",
            "kind",
            "created_at",
            "id",
        ),
        sa.Index(
            "ix_sales_documents_tenant_id_entered_by_id_created_at",
            "tenant_id",
            "entered_by_id",
            "created_at",
        ),
        sa.Index("ix_sales_documents_tenant_id_status_due_on", "tenant_id", "status", "due_on"),
        sa.Index(
            "ix_sales_documents_tenant_id_schedule_id_issued_on",
            "tenant_id",
            "schedule_id",
            "issued_on",
        ),
        sa.Index("ix_sales_documents_tenant_id_customer_id", "tenant_id", "customer_id"),
        # The reminder sweep (all shops): open invoices by due date, and nothing else.
        sa.Index(
            "ix_sales_documents_overdue",
            "due_on",
            postgresql_where=sa.text("kind = 'invoice' AND status = 'sent'"),
            sqlite_where=sa.text("kind = 'invoice' AND status = 'sent'"),
        ),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
    )


class SalesDocumentLine(TenantScoped, db.Model):
    """Units of one variant at the price staff agreed, with the reason for any change."""

    __tablename__ = "sales_document_lines"

    document_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[UUID]  # no foreign keys: the document outlives a deleted product
    variant_id: Mapped[UUID]
    title: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(64), default="")
    options: Mapped[str] = mapped_column(sa.String(300), default="")
    quantity: Mapped[int]
    list_price: Mapped[int] = mapped_column(AMOUNT)  # the catalog's price when entered
    unit_price: Mapped[int] = mapped_column(AMOUNT)  # the agreed price
    price_override_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    discount: Mapped[int] = mapped_column(AMOUNT, default=0)  # off the line, minor units
    discount_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)
    total: Mapped[int] = mapped_column(AMOUNT, default=0)

    document: Mapped[SalesDocument] = relationship(back_populates="lines", overlaps="lines")

    __table_args__ = (
        tenant_fk(["document_id"], "sales_documents", ondelete="CASCADE"),
        sa.Index("ix_sales_document_lines_tenant_id_document_id", "tenant_id", "document_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint("discount >= 0", name="discount_not_negative"),
    )


class InvoiceSchedule(TenantScoped, db.Model):
    """A recurring invoice (AShop's AutoBill): a copy of a template invoice each period."""

    __tablename__ = "invoice_schedules"

    template_id: Mapped[UUID]  # the sales document each new invoice copies
    customer_id: Mapped[UUID]
    every: Mapped[ScheduleEvery] = mapped_column(str_enum(ScheduleEvery))
    # The first invoice's date: every period keeps to its day of the month (``recurring``).
    first_issue_on: Mapped[date]
    # Moved on by one conditional UPDATE per issue: a job run twice issues once.
    next_issue_on: Mapped[date]
    last_issued_on: Mapped[date | None]
    issued_count: Mapped[int] = mapped_column(default=0)
    stop_after: Mapped[int | None]  # invoices in all; None: until stopped
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]

    __table_args__ = (
        tenant_fk(["template_id"], "sales_documents"),
        tenant_fk(["customer_id"], "crm_customers"),
        tenant_unique("template_id"),
        sa.Index("ix_invoice_schedules_next_issue_on", "next_issue_on"),
        sa.Index("ix_invoice_schedules_tenant_id_created_at", "tenant_id", "created_at"),
    )
