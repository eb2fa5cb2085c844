"""Users and their sign-in history. Personal data is sealed under the platform's key."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import PlatformModel, Timestamped, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField, normalise_email


def new_session_token() -> str:
    """A random token; changing it signs the user out everywhere."""
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
    # Part of the session cookie's user id: rotating it ends every session.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)

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
        """The session cookie holds ``<user id>.<session token>``: ids only."""
        return f"{self.id}.{self.session_token}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class LoginEvent(PlatformModel, db.Model):
    """A sign-in attempt on an account, with the IP address sealed."""

    __tablename__ = "login_events"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    succeeded: Mapped[bool]
    ip_ct: Mapped[bytes | None] = mapped_column("ip_address", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ip_address = EncryptedField("ip_ct")

    __table_args__ = (sa.Index("ix_login_events_user_id_created_at", "user_id", "created_at"),)
