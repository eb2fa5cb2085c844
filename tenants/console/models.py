"""The operators' audit log and the platform's settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField


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
