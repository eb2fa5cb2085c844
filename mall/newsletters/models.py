"""Newsletter subscriptions, newsletters and their per-recipient sent markers.

Two audiences with the same shape: each shop's (``TenantScoped``, the email sealed
under the shop's key, row-level security) and the mall's (platform tables, the email
sealed in the platform scope). A subscription records when and where consent was
given (``consented_at``, ``source``) and keeps the row after an unsubscribe, so the
opt-out is remembered. A delivery row is claimed before a message goes out: a
newsletter reaches each subscription at most once, however often its job runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField, normalise_email
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique

SUBJECT_MAX = 200
BODY_MAX = 50_000


class SubscriptionStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class ConsentSource(StrEnum):
    CHECKOUT = "checkout"  # the box ticked on the checkout's review
    ACCOUNT = "account"  # the email preferences page


class NewsletterStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"  # the job is (or was, if interrupted) going through the recipients
    SENT = "sent"


class _SubscriptionColumns:
    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    status: Mapped[SubscriptionStatus] = mapped_column(
        str_enum(SubscriptionStatus), default=SubscriptionStatus.SUBSCRIBED
    )
    source: Mapped[ConsentSource] = mapped_column(str_enum(ConsentSource))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    unsubscribed_at: Mapped[datetime | None]

    @declared_attr
    def user_id(cls) -> Mapped[UUID | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def subscribed(self) -> bool:
        return self.status is SubscriptionStatus.SUBSCRIBED


class _NewsletterColumns:
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown
    status: Mapped[NewsletterStatus] = mapped_column(
        str_enum(NewsletterStatus), default=NewsletterStatus.DRAFT
    )
    recipients: Mapped[int] = mapped_column(default=0)  # opted in when sending started
    sent_count: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    @property
    def progress(self) -> int:
        """Percent of the recipients handled (0-100)."""
        if self.status is NewsletterStatus.SENT:
            return 100
        if not self.recipients:
            return 0
        return min(100, self.sent_count * 100 // self.recipients)


class Subscription(TenantScoped, _SubscriptionColumns, Timestamped, db.Model):
    """A person's opt-in to one shop's newsletter (email sealed under the shop's key)."""

    __tablename__ = "newsletter_subscriptions"

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)

    __table_args__ = (
        tenant_unique("email_index"),
        sa.Index("ix_newsletter_subscriptions_user_id", "user_id"),
        sa.Index("ix_newsletter_subscriptions_tenant_id_status", "tenant_id", "status"),
    )


class Newsletter(TenantScoped, _NewsletterColumns, Timestamped, db.Model):
    """One newsletter of a shop: drafted, then sent to its opted-in customers."""

    __tablename__ = "newsletters"

    __table_args__ = (sa.Index("ix_newsletters_tenant_id_created_at", "tenant_id", "created_at"),)


class Delivery(TenantScoped, db.Model):
    """The marker that one newsletter went (or is going) to one subscription."""

    __tablename__ = "newsletter_deliveries"

    newsletter_id: Mapped[UUID]
    subscription_id: Mapped[UUID]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # None after claiming: delivery failed or was cut short

    __table_args__ = (
        tenant_fk(
            ["newsletter_id"],
            "newsletters",
            ondelete="CASCADE",
            name="fk_newsletter_deliveries_newsletter",
        ),
        tenant_fk(
            ["subscription_id"],
            "newsletter_subscriptions",
            ondelete="CASCADE",
            name="fk_newsletter_deliveries_subscription",
        ),
        tenant_unique(
            "newsletter_id", "subscription_id", name="uq_newsletter_deliveries_recipient"
        ),
    )


class MallSubscription(PlatformModel, _SubscriptionColumns, Timestamped, db.Model):
    """A person's opt-in to the mall's newsletter (email sealed in the platform scope)."""

    __tablename__ = "mall_newsletter_subscriptions"

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)

    __table_args__ = (
        sa.UniqueConstraint("email_index", name="uq_mall_newsletter_subscriptions_email_index"),
        sa.Index("ix_mall_newsletter_subscriptions_user_id", "user_id"),
        sa.Index("ix_mall_newsletter_subscriptions_status", "status"),
    )


class MallNewsletter(PlatformModel, _NewsletterColumns, Timestamped, db.Model):
    """One newsletter of the mall, sent by the operator to the mall's subscribers."""

    __tablename__ = "mall_newsletters"

    __table_args__ = (sa.Index("ix_mall_newsletters_created_at", "created_at"),)


class MallDelivery(PlatformModel, db.Model):
    """The marker that one mall newsletter went (or is going) to one subscription."""

    __tablename__ = "mall_newsletter_deliveries"

    newsletter_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey(
            "mall_newsletters.id",
            ondelete="CASCADE",
            name="fk_mall_newsletter_deliveries_newsletter",
        )
    )
    subscription_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey(
            "mall_newsletter_subscriptions.id",
            ondelete="CASCADE",
            name="fk_mall_newsletter_deliveries_subscription",
        )
    )
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint(
            "newsletter_id", "subscription_id", name="uq_mall_newsletter_deliveries_recipient"
        ),
    )
