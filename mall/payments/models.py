"""Payments: one row per checkout attempt, its refunds, provider events, shop settings, cards.

``payments``, ``payment_refunds`` and ``payment_events`` are platform tables: a
checkout spans shops and is paid once. ``payment_settings`` (what a shop
accepts) and ``offline_cards`` (card details a shop charges on its own
terminal, sealed under the shop's key) belong to one shop each.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from mall.orders.models import Order
from tenants.keys import EncryptedField
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class RefundStatus(StrEnum):
    PENDING = "pending"  # the provider accepted it; the money is on its way
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    MANUAL = "manual"  # bank transfer / offline card: the shop pays it back itself


class Payment(PlatformModel, Timestamped, db.Model):
    """One attempt to pay a checkout, with one provider."""

    __tablename__ = "payments"

    checkout_id: Mapped[UUID] = mapped_column(sa.ForeignKey("checkouts.id"))
    attempt: Mapped[int] = mapped_column(default=1)
    provider: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus), default=PaymentStatus.PENDING
    )
    amount: Mapped[int] = mapped_column(AMOUNT)
    refunded_amount: Mapped[int] = mapped_column(AMOUNT, default=0)
    # Stripe's fee on the charge (its balance transaction), once the ledger has fetched it.
    fee: Mapped[int | None] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255), unique=True)  # session
    provider_payment_ref: Mapped[str | None] = mapped_column(sa.String(255))  # payment intent
    succeeded_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("checkout_id", "attempt"),
        sa.Index("ix_payments_provider_payment_ref", "provider_payment_ref"),
    )


class PaymentRefund(PlatformModel, db.Model):
    """Money given back on a payment, once per idempotency key."""

    __tablename__ = "payment_refunds"

    payment_id: Mapped[UUID] = mapped_column(sa.ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(AMOUNT)
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus))
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_payment_refunds_payment_id", "payment_id"),)


class PaymentEvent(PlatformModel, db.Model):
    """A provider's event (webhook), stored once: a replay finds it and changes nothing."""

    __tablename__ = "payment_events"

    provider: Mapped[str] = mapped_column(sa.String(32))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("provider", "event_id"),)


class PaymentSettings(TenantScoped, Timestamped, db.Model):
    """What a shop accepts besides the platform's providers (one row per shop)."""

    __tablename__ = "payment_settings"

    bank_transfer_enabled: Mapped[bool] = mapped_column(default=False)
    bank_instructions: Mapped[str] = mapped_column(sa.Text, default="")
    offline_card_enabled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (tenant_unique(name="uq_payment_settings_tenant_id"),)


class OfflineCard(TenantScoped, Timestamped, db.Model):
    """Card details for one order, sealed under the shop's key until the shop charges them.

    Deleted in the transaction that marks the order processed or declined, or by
    the deadline job. Only the brand and the last four digits are plain.
    """

    __tablename__ = "offline_cards"

    order_id: Mapped[UUID]
    brand: Mapped[str] = mapped_column(sa.String(16), default="")
    last4: Mapped[str] = mapped_column(sa.String(4))
    number_ct: Mapped[bytes] = mapped_column("number", sa.LargeBinary)
    expiry_ct: Mapped[bytes] = mapped_column("expiry", sa.LargeBinary)
    cvc_ct: Mapped[bytes] = mapped_column("cvc", sa.LargeBinary)
    revealed_at: Mapped[datetime | None]
    revealed_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    number = EncryptedField("number_ct")
    expiry = EncryptedField("expiry_ct")
    cvc = EncryptedField("cvc_ct")

    # Listed with its order (number, total) in one query.
    order: Mapped[Order] = relationship(viewonly=True, lazy="joined")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("order_id"),
        sa.Index("ix_offline_cards_created_at", "created_at"),  # the deadline sweep
        sa.Index("ix_offline_cards_tenant_id_created_at", "tenant_id", "created_at"),
    )
