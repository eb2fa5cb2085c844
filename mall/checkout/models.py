"""The checkout: one per payment, across every shop in the cart (a platform table).

It holds what the customer entered between the steps (sealed under the
platform's key), the token that makes submission idempotent, and after
submission the state every path to completion agrees on. Each shop's order
(``mall.orders``) points back to it.
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
from mall.money import AMOUNT
from tenants.keys import EncryptedField, normalise_email


class CheckoutStatus(StrEnum):
    OPEN = "open"  # steps in progress: nothing reserved, no orders
    SUBMITTED = "submitted"  # orders created, stock held, payment started
    PAID = "paid"  # completed: the orders are paid (or paid-short and refunded)
    AWAITING = "awaiting"  # a manual payment (bank transfer, offline card): shops confirm
    EXPIRED = "expired"  # not paid in time: orders cancelled, holds released
    CANCELLED = "cancelled"


class Checkout(PlatformModel, Timestamped, db.Model):
    __tablename__ = "checkouts"

    # The browser's checkout token (hashed): a resubmitted form finds this row again.
    token_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    cart_id: Mapped[UUID | None]  # no foreign key: carts expire, checkouts stay
    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[CheckoutStatus] = mapped_column(
        str_enum(CheckoutStatus), default=CheckoutStatus.OPEN
    )
    currency: Mapped[str] = mapped_column(sa.String(3))
    payment_method: Mapped[str | None] = mapped_column(sa.String(32))
    total: Mapped[int] = mapped_column(AMOUNT, default=0)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    # {tenant id hex: shipping method id hex}, as chosen at the shipping step.
    shipping_choice: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    coupon_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The referral cookie's content at submission: affiliate ids and click times only.
    referral: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    submitted_at: Mapped[datetime | None]
    hold_until: Mapped[datetime | None]  # stock holds and the payment session end here
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # expired or cancelled

    email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    shipping_address_ct: Mapped[bytes | None] = mapped_column("shipping_address", sa.LargeBinary)
    billing_address_ct: Mapped[bytes | None] = mapped_column("billing_address", sa.LargeBinary)

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    shipping_address_json = EncryptedField("shipping_address_ct")
    billing_address_json = EncryptedField("billing_address_ct")

    __table_args__ = (
        sa.Index("ix_checkouts_status_hold_until", "status", "hold_until"),
        sa.Index("ix_checkouts_user_id", "user_id"),
    )
