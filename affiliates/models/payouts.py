"""Paying affiliates: batches the operator makes, and one payout per affiliate in each.

A batch takes every affiliate whose approved balance is at or above the minimum
payout once (``batch_key``); each payout is paid by a Stripe transfer when the
affiliate has a connected account, otherwise exported in the batch's PayPal
mass-payment CSV and marked paid by the operator. Platform tables.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from affiliates.models.accounts import PayoutMethod
from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT


class BatchStatus(StrEnum):
    OPEN = "open"  # made; transfers sent, the CSV not yet marked paid
    CLOSED = "closed"  # every payout in it paid or failed


class AffiliatePayoutStatus(StrEnum):
    IN_TRANSIT = "in_transit"  # taken from the balance, not yet confirmed paid
    PAID = "paid"
    FAILED = "failed"  # the money went back to the affiliate's balance


class AffiliatePayoutBatch(PlatformModel, Timestamped, db.Model):
    """One payout run of the operator's."""

    __tablename__ = "affiliate_payout_batches"

    batch_key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the form's, once
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus), default=BatchStatus.OPEN)
    made_by_id: Mapped[UUID | None]  # no foreign key: the audit log keeps who
    total: Mapped[int] = mapped_column(AMOUNT, default=0)
    closed_at: Mapped[datetime | None]


class AffiliatePayout(PlatformModel, db.Model):
    """One payment to one affiliate: the approved commissions (and clawbacks) it settles."""

    __tablename__ = "affiliate_payouts"

    batch_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliate_payout_batches.id"))
    affiliate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("affiliates.id"))
    amount: Mapped[int] = mapped_column(AMOUNT)
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod))
    status: Mapped[AffiliatePayoutStatus] = mapped_column(
        str_enum(AffiliatePayoutStatus, 24), default=AffiliatePayoutStatus.IN_TRANSIT
    )
    transfer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)  # tr_…
    reference: Mapped[str] = mapped_column(sa.String(255), default="")  # the PayPal batch's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    failure: Mapped[str] = mapped_column(sa.String(300), default="")

    __table_args__ = (
        sa.UniqueConstraint("batch_id", "affiliate_id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_affiliate_payouts_affiliate_id_created_at", "affiliate_id", "created_at"),
    )
