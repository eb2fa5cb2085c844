"""Disputes split per shop, refunds nobody could attribute, and the daily reconciliation.

- ``disputes`` (platform): a chargeback on a checkout's payment, as Stripe reports it.
- ``dispute_shares`` (the shop's): the part of a dispute on one shop order,
  frozen while it is open, with the shop's evidence and Stripe's deadline.
- ``unattributed_refunds`` (platform): refunds made on Stripe's dashboard that
  no single shop order could take; the operator assigns each; until then the
  checkout's payouts wait.
- ``reconciliation_runs`` / ``reconciliation_differences`` (platform): what the
  ledger says the processor holds per checkout against what Stripe (and the
  test provider) recorded; a difference is listed, never corrected silently.
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
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class DisputeStatus(StrEnum):
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


class Dispute(PlatformModel, Timestamped, db.Model):
    """A chargeback on a checkout's payment (Stripe's ``charge.dispute.*``)."""

    __tablename__ = "disputes"

    provider_ref: Mapped[str] = mapped_column(sa.String(255), unique=True)  # du_…
    checkout_id: Mapped[UUID] = mapped_column(sa.ForeignKey("checkouts.id"))
    payment_id: Mapped[UUID] = mapped_column(sa.ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(AMOUNT)
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    status: Mapped[DisputeStatus] = mapped_column(
        str_enum(DisputeStatus), default=DisputeStatus.NEEDS_RESPONSE
    )
    evidence_due_by: Mapped[datetime | None]
    evidence_sent_at: Mapped[datetime | None]  # the shops' evidence sent to the provider
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_disputes_checkout_id", "checkout_id"),
        sa.Index("ix_disputes_created_at", "created_at"),  # the operator's list, newest first
    )


class DisputeShare(TenantScoped, db.Model):
    """One shop order's part of a dispute: frozen while open; the shop's evidence."""

    __tablename__ = "dispute_shares"

    dispute_id: Mapped[UUID] = mapped_column(sa.ForeignKey("disputes.id"))
    order_id: Mapped[UUID]
    amount: Mapped[int] = mapped_column(AMOUNT)
    status: Mapped[DisputeStatus] = mapped_column(
        str_enum(DisputeStatus), default=DisputeStatus.NEEDS_RESPONSE
    )
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Listed with its dispute (reason, deadline) and order (number) in one query.
    dispute: Mapped[Dispute] = relationship(viewonly=True, lazy="joined")
    order: Mapped[Order] = relationship(viewonly=True, lazy="joined")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("dispute_id", "order_id"),
        sa.Index("ix_dispute_shares_tenant_id_created_at", "tenant_id", "created_at"),
        sa.Index("ix_dispute_shares_dispute_id", "dispute_id"),  # a dispute's shares, every shop
    )


class UnattributedRefund(PlatformModel, Timestamped, db.Model):
    """A refund made outside Mall that no single order could take, until the operator assigns it."""

    __tablename__ = "unattributed_refunds"

    payment_refund_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("payment_refunds.id"), unique=True
    )
    checkout_id: Mapped[UUID] = mapped_column(sa.ForeignKey("checkouts.id"))
    amount: Mapped[int] = mapped_column(AMOUNT)
    provider_ref: Mapped[str] = mapped_column(sa.String(255))
    assigned_order_id: Mapped[UUID | None]
    assigned_shop_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("tenants.id"))
    assigned_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_unattributed_refunds_checkout_id", "checkout_id"),
        sa.Index("ix_unattributed_refunds_assigned_at", "assigned_at"),
    )


class ReconciliationRun(PlatformModel, db.Model):
    """One comparison of the ledger with the payment providers' records."""

    __tablename__ = "reconciliation_runs"

    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    checkouts: Mapped[int] = mapped_column(default=0)
    differences: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index("ix_reconciliation_runs_ran_at", "ran_at"),)


class ReconciliationDifference(PlatformModel, db.Model):
    """A checkout where the ledger and the provider's records disagree (listed, not corrected)."""

    __tablename__ = "reconciliation_differences"

    run_id: Mapped[UUID] = mapped_column(sa.ForeignKey("reconciliation_runs.id"))
    checkout_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("checkouts.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))  # payment, refund, unknown
    ledger_amount: Mapped[int] = mapped_column(AMOUNT)
    provider_amount: Mapped[int] = mapped_column(AMOUNT)
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    __table_args__ = (sa.Index("ix_reconciliation_differences_run_id", "run_id"),)
