"""Paying shops: their payout accounts, payouts, the transfers in them, and manual batches.

- ``payout_accounts`` (platform, one per shop): the shop's Stripe Connect account
  and its state as Stripe last told (``account.updated`` and polling), and the
  operator's controls (rolling reserve, holding payouts).
- ``payouts`` (the shop's): one payment to the shop, by Stripe transfers or in
  a manual batch; ``payout_items`` the released orders (or a debt) it pays, each
  Stripe transfer with its ``source_transaction`` (the checkout's charge).
- ``transfer_reversals`` (the shop's): money taken back from a transfer after a
  refund (refused by Stripe: the debt stays on the shop's ledger).
- ``payout_batches`` (platform): manual payouts the operator exports and marks paid.
- ``reserve_holds`` (platform, like the ledger it follows): each rolling reserve held
  at an order's release, with the date it is given back, fixed when it was held.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class PayoutAccount(PlatformModel, Timestamped, db.Model):
    """How a shop is paid, and whether it can be: its Connect account's state and the controls."""

    __tablename__ = "payout_accounts"

    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    transfers_enabled: Mapped[bool] = mapped_column(default=False)  # capability "transfers" active
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    requirements: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # currently_due
    disabled_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    synced_at: Mapped[datetime | None]
    # The operator's controls
    reserve_bp: Mapped[int] = mapped_column(default=0)  # share of each sale held back
    reserve_days: Mapped[int] = mapped_column(default=0)  # for this many days
    payouts_held: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    __table_args__ = (
        sa.UniqueConstraint("shop_id"),
        sa.CheckConstraint("reserve_bp >= 0 AND reserve_bp <= 10000", name="reserve_bp_range"),
        sa.CheckConstraint("reserve_days >= 0 AND reserve_days <= 365", name="reserve_days_range"),
    )


class ReserveHold(PlatformModel, db.Model):
    """A rolling reserve held from one released order (``reserve:<order>``), and when it
    is given back. The date is fixed when the reserve is held, with the shop's terms of
    that day: changing the shop's reserve later changes only the holds made after.
    """

    __tablename__ = "reserve_holds"

    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id"))
    order_id: Mapped[UUID]
    amount: Mapped[int] = mapped_column(AMOUNT)  # what was held (minor units)
    reserve_bp: Mapped[int]  # the terms in force when it was held
    reserve_days: Mapped[int]
    held_at: Mapped[datetime]
    release_at: Mapped[datetime]  # held_at + reserve_days
    released_at: Mapped[datetime | None]  # given back (``reserve_release:<order>``)

    __table_args__ = (
        sa.UniqueConstraint("shop_id", "order_id"),
        # The sweep reads the holds not yet given back whose date has come.
        sa.Index("ix_reserve_holds_released_at_release_at", "released_at", "release_at"),
    )


class PayoutMethod(StrEnum):
    STRIPE = "stripe"  # Stripe transfers to the shop's connected account
    MANUAL = "manual"  # a bank payment the operator makes from an exported batch


class PayoutStatus(StrEnum):
    PENDING = "pending"  # created; nothing sent yet
    SENT = "sent"  # transfers made / in an exported batch
    PAID = "paid"
    FAILED = "failed"  # refused or returned: its amount is back on the shop's balance
    CANCELLED = "cancelled"


class BatchStatus(StrEnum):
    OPEN = "open"
    EXPORTED = "exported"
    PAID = "paid"


class PayoutBatch(PlatformModel, Timestamped, db.Model):
    """Manual payouts the operator pays from a CSV, then marks paid."""

    __tablename__ = "payout_batches"

    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus), default=BatchStatus.OPEN)
    total: Mapped[int] = mapped_column(AMOUNT, default=0)
    payouts_count: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    exported_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]


class Payout(TenantScoped, Timestamped, db.Model):
    """One payment to a shop of its available balance (once per idempotency key)."""

    __tablename__ = "payouts"

    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod))
    status: Mapped[PayoutStatus] = mapped_column(
        str_enum(PayoutStatus), default=PayoutStatus.PENDING
    )
    amount: Mapped[int] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    batch_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("payout_batches.id"))
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255))
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    failure_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[PayoutItem]] = relationship(overlaps="shop")

    __table_args__ = (
        tenant_unique("idempotency_key"),
        sa.Index("ix_payouts_tenant_id_created_at", "tenant_id", "created_at"),
        sa.Index("ix_payouts_status", "status"),
        sa.Index("ix_payouts_batch_id", "batch_id"),
    )


class PayoutItem(TenantScoped, db.Model):
    """What a payout pays: one released order's part (a transfer from its checkout's charge)."""

    __tablename__ = "payout_items"

    payout_id: Mapped[UUID]
    order_id: Mapped[UUID | None]  # None: a debt netted, or a balance with no order
    checkout_id: Mapped[UUID | None]
    amount: Mapped[int] = mapped_column(AMOUNT)
    source_transaction: Mapped[str | None] = mapped_column(sa.String(255))  # the charge (ch_…)
    stripe_transfer_id: Mapped[str | None] = mapped_column(sa.String(255))
    reversed_amount: Mapped[int] = mapped_column(AMOUNT, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["payout_id"], "payouts", ondelete="CASCADE"),
        sa.Index("ix_payout_items_tenant_id_payout_id", "tenant_id", "payout_id"),
        sa.Index("ix_payout_items_tenant_id_order_id", "tenant_id", "order_id"),
        sa.Index("ix_payout_items_stripe_transfer_id", "stripe_transfer_id"),
    )


class TransferReversal(TenantScoped, db.Model):
    """Money asked back from a shop's transfer after a refund; refused: a debt on its ledger."""

    __tablename__ = "transfer_reversals"

    payout_item_id: Mapped[UUID]
    refund_id: Mapped[UUID | None]  # the order refund that caused it
    amount: Mapped[int] = mapped_column(AMOUNT)
    succeeded: Mapped[bool] = mapped_column(default=False)
    stripe_reversal_id: Mapped[str | None] = mapped_column(sa.String(255))
    failure: Mapped[str] = mapped_column(sa.String(300), default="")
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["payout_item_id"], "payout_items", ondelete="CASCADE"),
        tenant_unique("idempotency_key"),
        # Stripe's reversal, recorded once whether the job or the webhook saw it first.
        tenant_unique("stripe_reversal_id"),
    )
