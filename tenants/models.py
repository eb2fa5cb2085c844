"""Platform tables of the tenancy core: the tenants themselves, the audit log, platform settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from tenants.keys.fields import EncryptedField
from tenants.keys.service import tenant_scope


class TenantStatus(StrEnum):
    """Where a shop is in its life: only ``active`` shops sell."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Tenant(PlatformModel, Timestamped, db.Model):
    """A member shop of the mall."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[TenantStatus] = mapped_column(
        str_enum(TenantStatus),
        default=TenantStatus.PENDING,
    )
    policies: Mapped[str] = mapped_column(sa.Text, default="")
    logo_path: Mapped[str | None] = mapped_column(sa.String(255))
    contact_email_ct: Mapped[bytes | None] = mapped_column("contact_email", sa.LargeBinary)
    suspended_reason: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None]
    # When a closed shop's keys are destroyed (after the operator's grace period).
    shred_after: Mapped[datetime | None] = mapped_column(index=True)
    shredded_at: Mapped[datetime | None]

    # The shop's contact email is sealed under the shop's own key (see key_scope).
    contact_email = EncryptedField("contact_email_ct")

    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # The mall's shop lists filter by status and show the newest first.
        sa.Index("ix_tenants_status_created_at", "status", "created_at"),
    )

    @property
    def key_scope(self) -> str:
        """Personal data on the shop's own row belongs to the shop's key scope."""
        return tenant_scope(self.id)

    @classmethod
    def rows_of_scope(cls, scope: str) -> sa.ColumnElement[bool]:
        """The shop row whose sealed values belong to ``scope`` (for rotation)."""
        if not scope.startswith("tenant:"):
            return sa.false()
        return cls.id == UUID(scope.split(":", 1)[1])

    @property
    def is_open(self) -> bool:
        """True when the storefront sells."""
        return self.status is TenantStatus.ACTIVE

    @property
    def admin_is_read_only(self) -> bool:
        """A suspended or closed shop's back office can look but not change."""
        return self.status in (TenantStatus.SUSPENDED, TenantStatus.CLOSED)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} {self.status}>"


class TenantDomain(PlatformModel, Timestamped, db.Model):
    """A custom host name (``shop.example.com``) mapped to a shop."""

    __tablename__ = "tenant_domains"

    host: Mapped[str] = mapped_column(sa.String(253), unique=True)
    tenant_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    tenant: Mapped[Tenant] = relationship(back_populates="domains")


class AuditEvent(PlatformModel, db.Model):
    """Who did what to which target, when, and from where (IP sealed)."""

    __tablename__ = "audit_events"

    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Facts about the action, never personal data (e.g. old and new status, a rate).
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_ct: Mapped[bytes | None] = mapped_column("ip_address", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ip_address = EncryptedField("ip_ct")

    __table_args__ = (
        sa.Index("ix_audit_events_created_at", "created_at"),
        sa.Index("ix_audit_events_target", "target_type", "target_id", "created_at"),
    )


class PlatformSetting(db.Model):
    """One operator setting (e.g. auto-approval of new shops), as JSON."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
