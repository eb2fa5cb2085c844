"""Returns per shop: the shop's return policy and its customers' return requests.

Every row belongs to one shop (``TenantScoped``, row-level security). The policy
is one row per shop (absent: the defaults), with a window per category that
overrides the shop's. A return request names units of an order's lines; the
customer's reason and the shop's message to the customer are sealed under the
shop's key. Each move of a request (approve, refuse, receive and refund) is one
conditional UPDATE from the state the page showed, so it happens once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import str_enum, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique

DEFAULT_WINDOW_DAYS = 30


class ReturnPayer(StrEnum):
    """Who pays for sending the goods back."""

    CUSTOMER = "customer"
    SHOP = "shop"


class ReturnStatus(StrEnum):
    """requested -> approved -> refunded (goods received); requested -> refused."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    REFUNDED = "refunded"


class ReturnPolicy(TenantScoped, db.Model):
    """The shop's return policy: its window, who pays the return shipping, a short text."""

    __tablename__ = "return_policies"

    window_days: Mapped[int] = mapped_column(default=DEFAULT_WINDOW_DAYS)
    payer: Mapped[ReturnPayer] = mapped_column(str_enum(ReturnPayer), default=ReturnPayer.CUSTOMER)
    text: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (tenant_unique(name="uq_return_policies_tenant_id"),)


class ReturnCategoryWindow(TenantScoped, db.Model):
    """A window for the shop's products of one category, instead of the shop's."""

    __tablename__ = "return_category_windows"

    category_id: Mapped[UUID] = mapped_column(sa.ForeignKey("categories.id", ondelete="CASCADE"))
    window_days: Mapped[int]

    __table_args__ = (tenant_unique("category_id"),)


class ReturnRequest(TenantScoped, db.Model):
    """A customer's request to send back units of an order's lines."""

    __tablename__ = "return_requests"

    order_id: Mapped[UUID]
    status: Mapped[ReturnStatus] = mapped_column(
        str_enum(ReturnStatus), default=ReturnStatus.REQUESTED
    )
    # The rendered form's key: a double click or a retried POST makes one request.
    request_key: Mapped[str] = mapped_column(sa.String(32))
    reason_ct: Mapped[bytes] = mapped_column("reason", sa.LargeBinary)
    message_ct: Mapped[bytes | None] = mapped_column("message", sa.LargeBinary)
    restock: Mapped[bool] = mapped_column(default=False)
    refund_id: Mapped[UUID | None]  # the order's refund, once made
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]

    reason = EncryptedField("reason_ct")
    message = EncryptedField("message_ct")

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="request", order_by="ReturnLine.id"
    )

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_unique("request_key"),
        sa.Index("ix_return_requests_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.Index("ix_return_requests_tenant_id_order_id", "tenant_id", "order_id"),
    )


class ReturnLine(TenantScoped, db.Model):
    """How many units of one order line a return request sends back."""

    __tablename__ = "return_lines"

    return_id: Mapped[UUID]
    order_line_id: Mapped[UUID]
    quantity: Mapped[int]

    request: Mapped[ReturnRequest] = relationship(back_populates="lines")

    __table_args__ = (
        tenant_fk(["return_id"], "return_requests", ondelete="CASCADE"),
        tenant_fk(["order_line_id"], "order_lines"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_return_lines_tenant_id_return_id", "tenant_id", "return_id"),
    )
