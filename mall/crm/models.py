"""A shop's customers and its message threads with them.

Every row belongs to one shop (``TenantScoped``, row-level security). A customer
row exists only for someone who ordered from the shop or wrote to it, one per
email (its blind index under the shop's key, unique per shop). What identifies
or describes a person is sealed under the shop's key: the email, the name, the
staff's notes, a thread's subject and every message's body. The counters (orders,
lifetime value, last order) are recomputed from the shop's paid orders, so a
replayed signal changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
from tenants.keys import EncryptedField, normalise_email
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class ThreadStatus(StrEnum):
    """Open: the shop has to answer; waiting: the customer has; closed: done."""

    OPEN = "open"
    WAITING = "waiting"
    CLOSED = "closed"


class Author(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class CrmCustomer(TenantScoped, db.Model):
    """Someone who ordered from the shop or wrote to it: sealed contact, notes, tags, totals."""

    __tablename__ = "crm_customers"

    email_ct: Mapped[bytes] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    name_ct: Mapped[bytes | None] = mapped_column("name", sa.LargeBinary)
    notes_ct: Mapped[bytes | None] = mapped_column("notes", sa.LargeBinary)
    tags: Mapped[str] = mapped_column(sa.String(200), default="")  # "vip wholesale": labels
    orders_count: Mapped[int] = mapped_column(default=0)
    lifetime_value: Mapped[int] = mapped_column(AMOUNT, default=0)  # paid, less refunds
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    last_order_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    # The list's order (most recent activity first): an order paid or a message received.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    name = EncryptedField("name_ct")
    notes = EncryptedField("notes_ct")

    __table_args__ = (
        tenant_unique("email_index"),
        sa.Index("ix_crm_customers_tenant_id_last_seen_at_id", "tenant_id", "last_seen_at", "id"),
    )


class CrmThread(TenantScoped, db.Model):
    """A conversation between a customer and the shop, maybe about one order."""

    __tablename__ = "crm_threads"

    customer_id: Mapped[UUID]
    order_id: Mapped[UUID | None]  # no foreign key: the thread outlives a deleted order
    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ThreadStatus] = mapped_column(str_enum(ThreadStatus), default=ThreadStatus.OPEN)
    subject_ct: Mapped[bytes | None] = mapped_column("subject", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject = EncryptedField("subject_ct")

    __table_args__ = (
        tenant_fk(["customer_id"], "crm_customers", ondelete="CASCADE"),
        sa.Index(
            "ix_crm_threads_tenant_id_last_message_at_id", "tenant_id", "last_message_at", "id"
        ),
        sa.Index("ix_crm_threads_tenant_id_customer_id", "tenant_id", "customer_id"),
        sa.Index("ix_crm_threads_tenant_id_assignee_id", "tenant_id", "assignee_id"),
    )


class CrmMessage(TenantScoped, db.Model):
    """One message of a thread; its body sealed. ``request_key``: one message per form sent."""

    __tablename__ = "crm_messages"

    thread_id: Mapped[UUID]
    author: Mapped[Author] = mapped_column(str_enum(Author))
    author_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    request_key: Mapped[str] = mapped_column(sa.String(32))
    body_ct: Mapped[bytes] = mapped_column("body", sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    body = EncryptedField("body_ct")

    __table_args__ = (
        tenant_fk(["thread_id"], "crm_threads", ondelete="CASCADE"),
        tenant_unique("request_key"),
        sa.Index(
            "ix_crm_messages_tenant_id_thread_id_created_at", "tenant_id", "thread_id", "created_at"
        ),
    )
