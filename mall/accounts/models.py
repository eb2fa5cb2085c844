"""Users and their sign-in history. Personal data is sealed under the platform's key."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField, normalise_email


def new_session_token() -> str:
    """A random token; changing it ends the account-wide session (see ``User.get_id``)."""
    return secrets.token_urlsafe(16)


class User(PlatformModel, Timestamped, db.Model):
    """A person who signs in: customer, member, staff, affiliate or operator."""

    __tablename__ = "users"

    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    name_ct: Mapped[bytes | None] = mapped_column("name", sa.LargeBinary)
    phone_ct: Mapped[bytes | None] = mapped_column("phone", sa.LargeBinary)
    # An address the user asked to change to, waiting for its verification link.
    pending_email_ct: Mapped[bytes | None] = mapped_column("pending_email", sa.LargeBinary)
    password_hash: Mapped[str] = mapped_column(sa.String(100))
    email_verified_at: Mapped[datetime | None]
    is_operator: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    # When the welcome email went out (once, after the first confirmation of the address).
    welcomed_at: Mapped[datetime | None]
    # The account-wide session of cookies issued before device sessions (``<id>.<token>``):
    # rotated when the account signs out everywhere or changes its password.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)

    # Not a column: the token of the device session this request is signed in with, set by
    # the session loader or at sign-in (see ``mall.accounts.sessions``).
    device_token = None

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    name = EncryptedField("name_ct")
    phone = EncryptedField("phone_ct")
    pending_email = EncryptedField("pending_email_ct")

    # Flask-Login's user protocol.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    def get_id(self) -> str:
        """What the session and remember cookies hold: ``<user id>.<device session token>``.

        Random ids only. Without a device session (a session from before them) the
        account-wide ``session_token`` takes the token's place.
        """
        return f"{self.id}.{self.device_token or self.session_token}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class DeviceSession(PlatformModel, db.Model):
    """One signed-in browser. Its cookies hold a random token; this table only the token's hash,
    so deleting the row ends the session there, and a copied cookie with it."""

    __tablename__ = "device_sessions"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LoginEvent(PlatformModel, db.Model):
    """A sign-in attempt on an account, with the IP address sealed."""

    __tablename__ = "login_events"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    succeeded: Mapped[bool]
    ip_ct: Mapped[bytes | None] = mapped_column("ip_address", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ip_address = EncryptedField("ip_ct")

    __table_args__ = (
        sa.Index("ix_login_events_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_login_events_created_at", "created_at"),  # the retention sweep
    )


class SavedAddress(PlatformModel, Timestamped, db.Model):
    """An address a customer kept for later checkouts (sealed under the platform's key)."""

    __tablename__ = "saved_addresses"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address_ct: Mapped[bytes] = mapped_column("address", sa.LargeBinary)
    # A digest of the address, so saving the same address twice keeps one row.
    fingerprint: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    # The address checkout offers first (one per account: ``mall.accounts.address_book``).
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    address_json = EncryptedField("address_ct", index="fingerprint")

    __table_args__ = (sa.UniqueConstraint("user_id", "fingerprint"),)


class OperatorMessage(PlatformModel, db.Model):
    """A message to the platform's operator from the contact form, sealed under the platform's
    key (sender, subject, body). The operator's email only says that one is waiting."""

    __tablename__ = "operator_messages"

    # The sender's account, if signed in: deleting the account deletes its messages too.
    user_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # A digest of the form's one-time token: the same form sent twice stores one message.
    submission_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    sender_ct: Mapped[bytes] = mapped_column("sender", sa.LargeBinary)  # JSON: name, email
    subject_ct: Mapped[bytes] = mapped_column("subject", sa.LargeBinary)
    body_ct: Mapped[bytes] = mapped_column("body", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    sender_json = EncryptedField("sender_ct")
    subject = EncryptedField("subject_ct")
    body = EncryptedField("body_ct")

    __table_args__ = (sa.Index("ix_operator_messages_created_at_id", "created_at", "id"),)


class ExportStatus(StrEnum):
    PENDING = "pending"  # the job is building the ZIP
    READY = "ready"  # stored; the emailed link works until ``expires_at``
    EXPIRED = "expired"  # the file is deleted (``mall.accounts.export``)


class DataExport(PlatformModel, db.Model):
    """A customer's request for a copy of their data; the ZIP itself is in private storage."""

    __tablename__ = "data_exports"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ExportStatus] = mapped_column(
        str_enum(ExportStatus), default=ExportStatus.PENDING
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    storage_key: Mapped[str | None] = mapped_column(sa.String(255))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.Index("ix_data_exports_user_id_requested_at", "user_id", "requested_at"),
        sa.Index("ix_data_exports_status_expires_at", "status", "expires_at"),
    )
