"""Who works for which shop, and invitations to join one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum
from mall.extensions import db
from tenants.keys import EncryptedField, normalise_email
from tenants.models import Tenant
from tenants.scoping import TenantScoped


class Role(StrEnum):
    """A member's role in one shop; what each may do is in ``mall.shops.permissions``."""

    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"
    SALES_REP = "sales_rep"


class Membership(PlatformModel, Timestamped, db.Model):
    """A user's role in a shop. A platform table: a user lists their shops across the mall."""

    __tablename__ = "memberships"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))

    tenant: Mapped[Tenant] = relationship()
    user: Mapped[User] = relationship()  # noqa: F821  (mall.accounts.models.User)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_id"),)


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(TenantScoped, Timestamped, db.Model):
    """An invitation to join a shop's staff, sent to an email address (sealed, shop's key)."""

    __tablename__ = "invitations"

    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus), default=InvitationStatus.PENDING
    )
    invited_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime]

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)

    __table_args__ = (
        # One pending invitation per address and shop: a double click invites once.
        sa.Index(
            "uq_invitations_pending_email",
            "tenant_id",
            "email_index",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )
