"""The cart's tables: one cart per visitor (guest, by a token's digest) or account, and its lines.

Platform tables, not tenant-scoped: one cart holds variants of many shops. A line
names its variant's shop (``tenant_id``) and the variant's id; variants have
composite keys, so ``variant_id`` carries no foreign key and a line whose variant
is gone is noticed (and removed, with a message) when the cart is next shown.
No personal data: ids, quantities, prices seen, a country code, coupon codes.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, utcnow
from mall.extensions import db
from mall.money import AMOUNT


class Cart(PlatformModel, Timestamped, db.Model):
    """A guest's cart (found by the SHA-256 of the token its browser holds) or an account's."""

    __tablename__ = "carts"

    # A guest cart's token digest; an account's cart has none (found by ``user_id``).
    token_digest: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32), unique=True)
    user_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    country: Mapped[str | None] = mapped_column(sa.String(2))  # "ship to", ISO 3166-1 alpha-2
    coupon_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # {tenant id hex: shipping method id hex}
    shipping_choice: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # The last few add-to-cart forms seen ("<nonce>:<variant id tail>"): a re-sent form adds once.
    add_nonces: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CartLine.added_at",
    )

    # Expiry sweeps by idle time.
    __table_args__ = (sa.Index("ix_carts_updated_at", "updated_at"),)

    def touch(self) -> None:
        """Mark the cart used now (line changes do not update the cart row by themselves)."""
        self.updated_at = utcnow()

    def __repr__(self) -> str:
        return f"<Cart {self.id}>"


class CartLine(PlatformModel, db.Model):
    """A variant in a cart: how many, and the unit price the customer last saw."""

    __tablename__ = "cart_lines"

    cart_id: Mapped[UUID] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"))
    tenant_id: Mapped[UUID] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    variant_id: Mapped[UUID]
    quantity: Mapped[int]
    seen_unit_price: Mapped[int] = mapped_column(AMOUNT)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")

    # The unique index (cart_id first) also serves every look-up of a cart's lines, so
    # no separate index on cart_id.
    __table_args__ = (sa.UniqueConstraint("cart_id", "variant_id"),)
