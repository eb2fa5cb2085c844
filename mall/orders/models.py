"""Orders: one per shop per checkout, with lines that snapshot what was sold.

Every row here belongs to the shop that sold (``TenantScoped``, row-level
security). Personal data (the contact email, the shipping and billing
addresses) is a copy sealed under the shop's own key, so each shop reads only
its own copy. Amounts are minor units; a line's figures are those of the quote
at submission and never change afterwards.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT, Party
from tenants.keys import EncryptedField, normalise_email
from tenants.models import Tenant
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class OrderStatus(StrEnum):
    """Where the order is; the allowed moves are in ``mall.orders.status`` (one place)."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    PAID_OUT_OF_STOCK = "paid_short"  # paid after its hold lapsed and the stock was sold
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"  # never paid: the checkout expired or the order was cancelled


class OrderCounter(TenantScoped, db.Model):
    """The next order number of a shop: taken by one UPDATE, so numbers have no gaps."""

    __tablename__ = "order_counters"

    last_number: Mapped[int] = mapped_column(sa.BigInteger, default=1000)
    __table_args__ = (tenant_unique(name="uq_order_counters_tenant_id"),)


class Order(TenantScoped, Timestamped, db.Model):
    """A shop's part of a checkout."""

    __tablename__ = "orders"

    checkout_id: Mapped[UUID] = mapped_column(sa.ForeignKey("checkouts.id"))
    number: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, 24), default=OrderStatus.AWAITING_PAYMENT
    )
    payment_status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, 24), default=PaymentStatus.PENDING
    )
    payment_method: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[int] = mapped_column(AMOUNT)
    discount_shop: Mapped[int] = mapped_column(AMOUNT, default=0)
    discount_platform: Mapped[int] = mapped_column(AMOUNT, default=0)
    shipping_amount: Mapped[int] = mapped_column(AMOUNT, default=0)
    shipping_tax: Mapped[int] = mapped_column(AMOUNT, default=0)
    shipping_tax_collector: Mapped[Party] = mapped_column(str_enum(Party), default=Party.SHOP)
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)  # lines' tax and shipping tax
    total: Mapped[int] = mapped_column(AMOUNT)
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    shipping_method_id: Mapped[UUID | None]
    shipping_method_name: Mapped[str] = mapped_column(sa.String(100), default="")
    needs_shipping: Mapped[bool] = mapped_column(default=True)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]  # the last shipment (or, digital only, the payment)
    delivered_at: Mapped[datetime | None]
    refunded_amount: Mapped[int] = mapped_column(AMOUNT, default=0)  # sum of its refunds
    # The commission frozen when the order was paid (lines in ``order_commissions``):
    # its total and the shop's rate then (a category override may differ per line).
    commission: Mapped[int] = mapped_column(AMOUNT, default=0)
    commission_rate_bp: Mapped[int | None]
    # Sealed under the shop's key: this shop's own copy of what the customer gave.
    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    shipping_address_ct: Mapped[bytes | None] = mapped_column("shipping_address", sa.LargeBinary)
    billing_address_ct: Mapped[bytes | None] = mapped_column("billing_address", sa.LargeBinary)

    # Signed into the customer's tracking link (``mall.orders.tracking``): staff raise it to
    # make a leaked link stop working.
    tracking_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The staff member who entered it (a phone or mail order, ``mall.orders.entry``).
    entered_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    shipping_address_json = EncryptedField("shipping_address_ct")
    billing_address_json = EncryptedField("billing_address_ct")

    shop: Mapped[Tenant] = relationship(foreign_keys="Order.tenant_id", viewonly=True)
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", overlaps="shop"
    )
    discounts: Mapped[list[OrderDiscount]] = relationship(overlaps="shop")
    events: Mapped[list[OrderEvent]] = relationship(
        order_by="OrderEvent.created_at", overlaps="shop,discounts"
    )

    __table_args__ = (
        tenant_unique("number"),
        tenant_unique("checkout_id"),  # one order per shop per checkout, whatever repeats
        # The list's order (newest first, then id) and its keyset pages: an index range.
        sa.Index("ix_orders_tenant_id_placed_at_id", "tenant_id", "placed_at", "id"),
        sa.Index("ix_orders_tenant_id_status_placed_at", "tenant_id", "status", "placed_at"),
        sa.Index(
            "ix_orders_tenant_id_payment_status_placed_at",
            "tenant_id",
            "payment_status",
            "placed_at",
        ),
        sa.Index("ix_orders_checkout_id", "checkout_id"),
        # The holding period's sweep, across shops: orders fulfilled / paid in a window.
        sa.Index("ix_orders_fulfilled_at", "fulfilled_at"),
        sa.Index("ix_orders_paid_at", "paid_at"),
        sa.Index("ix_orders_tenant_id_email_index", "tenant_id", "email_index"),
        sa.Index(
            "ix_orders_tenant_id_entered_by_id_placed_at", "tenant_id", "entered_by_id", "placed_at"
        ),
    )


class OrderLine(TenantScoped, db.Model):
    """What was sold, as it was at submission (title, SKU, price, discount, tax)."""

    __tablename__ = "order_lines"

    order_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[UUID]  # no foreign key: the product may be deleted later
    variant_id: Mapped[UUID]
    title: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(64))
    options: Mapped[str] = mapped_column(sa.String(300), default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    unit_price: Mapped[int] = mapped_column(AMOUNT)
    quantity: Mapped[int]
    subtotal: Mapped[int] = mapped_column(AMOUNT)
    discount_shop: Mapped[int] = mapped_column(AMOUNT, default=0)
    discount_platform: Mapped[int] = mapped_column(AMOUNT, default=0)
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    tax_collector: Mapped[Party] = mapped_column(str_enum(Party), default=Party.SHOP)
    tax_country: Mapped[str] = mapped_column(sa.String(2), default="")
    total: Mapped[int] = mapped_column(AMOUNT)
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    quantity_refunded: Mapped[int] = mapped_column(default=0)
    # Of the refunded units, those that had shipped and came back (a return): they do not
    # stand for units never shipped, so what is left to ship stays.
    quantity_returned: Mapped[int] = mapped_column(default=0, server_default="0")
    amount_refunded: Mapped[int] = mapped_column(AMOUNT, default=0)  # of ``total``

    order: Mapped[Order] = relationship(back_populates="lines", overlaps="shop")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        sa.CheckConstraint(
            "quantity_returned >= 0 AND quantity_returned <= quantity_refunded"
            " AND quantity_returned <= quantity_shipped",
            name="returned_within_refunded_and_shipped",
        ),
        sa.Index("ix_order_lines_tenant_id_order_id", "tenant_id", "order_id"),
    )


class OrderDiscount(TenantScoped, db.Model):
    """One coupon's discount on an order, and who funds it."""

    __tablename__ = "order_discounts"

    order_id: Mapped[UUID]
    code: Mapped[str] = mapped_column(sa.String(32))
    coupon_id: Mapped[UUID | None]
    funded_by: Mapped[Party] = mapped_column(str_enum(Party))
    amount: Mapped[int] = mapped_column(AMOUNT)

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        sa.Index("ix_order_discounts_tenant_id_order_id", "tenant_id", "order_id"),
    )


class OrderEvent(TenantScoped, db.Model):
    """The order's timeline: what happened, when, and who did it (None: the customer/system)."""

    __tablename__ = "order_events"

    order_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.String(300))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        sa.Index("ix_order_events_tenant_id_order_id", "tenant_id", "order_id"),
    )


class HoldStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"  # the order was paid: the stock is sold
    RELEASED = "released"  # returned to stock (expired, cancelled), exactly once


class StockHold(TenantScoped, db.Model):
    """Stock set aside for an order at submission, per variant (the whole checkout's demand)."""

    __tablename__ = "stock_holds"

    order_id: Mapped[UUID]
    variant_id: Mapped[UUID]
    quantity: Mapped[int]
    status: Mapped[HoldStatus] = mapped_column(str_enum(HoldStatus), default=HoldStatus.HELD)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("order_id", "variant_id"),
        sa.Index("ix_stock_holds_status_expires_at", "status", "expires_at"),
    )


# ---------------------------------------------------------------- fulfilment


class Shipment(TenantScoped, db.Model):
    """A parcel sent for an order: some of its lines, some of their quantities."""

    __tablename__ = "shipments"

    order_id: Mapped[UUID]
    carrier: Mapped[str] = mapped_column(sa.String(40), default="")  # a CARRIERS key or free text
    tracking_number: Mapped[str] = mapped_column(sa.String(100), default="")
    tracking_url: Mapped[str] = mapped_column(sa.String(500), default="")
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The rendered form's key: a double click or a retried POST makes one shipment.
    request_key: Mapped[str] = mapped_column(sa.String(64))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    customer_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[ShipmentLine]] = relationship(overlaps="shop")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("request_key"),
        sa.Index("ix_shipments_tenant_id_order_id", "tenant_id", "order_id"),
    )


class ShipmentLine(TenantScoped, db.Model):
    """How many units of one order line went in a shipment."""

    __tablename__ = "shipment_lines"

    shipment_id: Mapped[UUID]
    order_line_id: Mapped[UUID]
    quantity: Mapped[int]

    __table_args__ = (
        tenant_fk(["shipment_id"], "shipments", ondelete="CASCADE"),
        tenant_fk(["order_line_id"], "order_lines"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_shipment_lines_tenant_id_shipment_id", "tenant_id", "shipment_id"),
    )


# ---------------------------------------------------------------- refunds


class RefundSource(StrEnum):
    ADMIN = "admin"  # the shop's staff, in its back office
    PROVIDER = "provider"  # made on the provider's dashboard, reported by its webhook
    SHORT = "short"  # the stock was sold before a late payment arrived
    CANCEL = "cancel"  # a paid, unfulfilled order cancelled by the shop


class OrderRefund(TenantScoped, db.Model):
    """Money given back on an order: once per idempotency key, whichever way it started.

    ``amount`` is what the customer gets back (lines, shipping and their tax);
    ``payment_refund_id`` is the provider's refund (None: recorded as manual, the
    shop paid it back itself). The ledger entry is keyed by this row's id.
    """

    __tablename__ = "order_refunds"

    order_id: Mapped[UUID]
    amount: Mapped[int] = mapped_column(AMOUNT)
    shipping: Mapped[int] = mapped_column(AMOUNT, default=0)  # of ``amount``, tax included
    restocked: Mapped[bool] = mapped_column(default=False)
    manual: Mapped[bool] = mapped_column(default=False)
    source: Mapped[RefundSource] = mapped_column(str_enum(RefundSource), default=RefundSource.ADMIN)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    payment_refund_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("payment_refunds.id"))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[OrderRefundLine]] = relationship(overlaps="shop")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("idempotency_key"),
        sa.Index("ix_order_refunds_tenant_id_order_id", "tenant_id", "order_id"),
        sa.Index("ix_order_refunds_payment_refund_id", "payment_refund_id"),
    )


class OrderRefundLine(TenantScoped, db.Model):
    """One order line's part of a refund: units (0 for an amount only), amount and its tax."""

    __tablename__ = "order_refund_lines"

    refund_id: Mapped[UUID]
    order_line_id: Mapped[UUID]
    quantity: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int] = mapped_column(AMOUNT)  # of the line's ``total``
    tax: Mapped[int] = mapped_column(AMOUNT, default=0)  # of ``amount``

    __table_args__ = (
        tenant_fk(["refund_id"], "order_refunds", ondelete="CASCADE"),
        tenant_fk(["order_line_id"], "order_lines"),
        sa.Index("ix_order_refund_lines_tenant_id_refund_id", "tenant_id", "refund_id"),
    )


# Order entry's tables (quotes, invoices, schedules) load with the orders' own.
from mall.orders.entry.models import (  # noqa: E402, F401
    InvoiceSchedule,
    SalesCounter,
    SalesDocument,
    SalesDocumentLine,
)
