"""Affiliates: people who earn on the sales they refer anywhere in the mall (platform table).

An affiliate works across shops, so the row is the platform's; what identifies or
pays the person (website, how they promote, the PayPal email) is sealed in the
platform scope. An erased account keeps the row, because commissions and payouts
are money history, but loses its sealed fields and its link to the account.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, Timestamped, str_enum
from mall.extensions import db
from tenants.keys import EncryptedField

CODE_MAX = 32


class AffiliateStatus(StrEnum):
    APPLIED = "applied"  # waiting for the operator's decision
    APPROVED = "approved"  # has a code; earns on eligible sales
    REJECTED = "rejected"
    SUSPENDED = "suspended"  # earns nothing on sales from now on; can be approved again


class PayoutMethod(StrEnum):
    PAYPAL = "paypal"  # exported in a PayPal mass-payment CSV, marked paid by the operator
    STRIPE = "stripe"  # a Stripe transfer to the affiliate's connected account

    @property
    def label(self) -> str:
        """How pages name it: "PayPal", "Stripe"."""
        return "PayPal" if self is PayoutMethod.PAYPAL else "Stripe"


class Affiliate(PlatformModel, Timestamped, db.Model):
    """One person's place in the affiliate program, with their code once approved."""

    __tablename__ = "affiliates"

    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    code: Mapped[str | None] = mapped_column(sa.String(CODE_MAX))  # given on approval
    status: Mapped[AffiliateStatus] = mapped_column(
        str_enum(AffiliateStatus), default=AffiliateStatus.APPLIED
    )
    website_ct: Mapped[bytes | None] = mapped_column("website", sa.LargeBinary)
    promotion_ct: Mapped[bytes | None] = mapped_column("promotion", sa.LargeBinary)
    payout_method: Mapped[PayoutMethod] = mapped_column(
        str_enum(PayoutMethod), default=PayoutMethod.PAYPAL
    )
    payout_email_ct: Mapped[bytes | None] = mapped_column("payout_email", sa.LargeBinary)
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255))
    # What Stripe last said about the connected account (``affiliates.payouts.connect``):
    # transfers are sent only once its "transfers" capability is active.
    stripe_transfers_active: Mapped[bool] = mapped_column(default=False)
    stripe_details_submitted: Mapped[bool] = mapped_column(default=False)
    # requirements.currently_due: Stripe's field names (e.g. "external_account"), no values.
    stripe_requirements: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    stripe_synced_at: Mapped[datetime | None]
    recruited_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("affiliates.id"))
    decided_by_id: Mapped[UUID | None]  # no foreign key: a deleted operator keeps the history
    decided_at: Mapped[datetime | None]
    # What the operator told the person: a note about a person, so sealed like the rest.
    decision_note_ct: Mapped[bytes | None] = mapped_column("decision_note", sa.LargeBinary)

    website = EncryptedField("website_ct")
    promotion = EncryptedField("promotion_ct")
    payout_email = EncryptedField("payout_email_ct")
    decision_note = EncryptedField("decision_note_ct")

    __table_args__ = (
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("stripe_account_id"),  # one affiliate per connected account
        sa.Index(
            "uq_affiliates_user_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("user_id IS NOT NULL"),
            sqlite_where=sa.text("user_id IS NOT NULL"),
        ),
        sa.Index("ix_affiliates_status_created_at", "status", "created_at"),
        sa.Index("ix_affiliates_recruited_by_id", "recruited_by_id"),
    )

    @property
    def earns(self) -> bool:
        return self.status is AffiliateStatus.APPROVED
