"""Stock: every change is a movement row; the variant's quantity moves with it, atomically.

The quantity is updated in SQL (``quantity = quantity + delta``) in the same
transaction as the movement, so concurrent adjustments never lose one (on
PostgreSQL the row lock serialises them) and the quantity always equals the
sum of the movements. The rules are checked here, not by the pages that call:

- a movement changes the quantity (never 0), and a receipt adds stock;
- a movement that removes stock (a sale, an adjustment) never takes a tracked
  variant without backorders below zero: the update carries
  ``WHERE stock_quantity + delta >= 0``, so the check and the write are one
  statement (no read-then-write).
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.catalog.errors import CatalogError
from mall.catalog.models import StockMovement, StockReason, Variant
from mall.extensions import db


class InvalidMovement(CatalogError):
    """A movement that makes no sense whatever the stock (zero, or a receipt that removes)."""


class OutOfStock(CatalogError):
    """A sale or an adjustment would take the quantity below zero (and backorders are off)."""


def adjust_stock(
    variant: Variant,
    delta: int,
    *,
    reason: StockReason,
    note: str = "",
    actor_id: UUID | None = None,
) -> StockMovement:
    """Record a movement and move the quantity; raises ``InvalidMovement`` or ``OutOfStock``."""
    if delta == 0:
        raise InvalidMovement("Enter a quantity other than zero.")
    if reason is StockReason.RECEIPT and delta < 0:
        raise InvalidMovement(
            "A receipt adds stock: enter a positive quantity (or record an adjustment)."
        )
    update = (
        sa.update(Variant)
        .where(Variant.tenant_id == variant.tenant_id, Variant.id == variant.id)
        .values(stock_quantity=Variant.stock_quantity + delta)
        .execution_options(synchronize_session=False)
    )
    # Untracked or backordered variants may go below zero; tracked ones may not.
    guarded = delta < 0 and variant.track_stock and not variant.allow_backorder
    if guarded:
        update = update.where(Variant.stock_quantity + delta >= 0)
    if db.session.execute(update).rowcount != 1:
        db.session.refresh(variant, ["stock_quantity"])  # for the message only
        raise OutOfStock(_refusal(variant, reason))
    movement = _record(variant, delta, reason, note, actor_id)
    db.session.refresh(variant, ["stock_quantity"])
    _refresh_in_stock(variant)
    return movement


def _refusal(variant: Variant, reason: StockReason) -> str:
    if reason is StockReason.ADJUSTMENT:
        return f"Only {variant.stock_quantity} on hand: an adjustment cannot go below zero."
    return f"Only {variant.stock_quantity} of {variant.sku} left."


def _record(
    variant: Variant, delta: int, reason: StockReason, note: str, actor_id: UUID | None
) -> StockMovement:
    movement = StockMovement(
        variant_id=variant.id, delta=delta, reason=reason, note=note[:200], actor_id=actor_id
    )
    db.session.add(movement)
    db.session.flush()
    return movement


def _refresh_in_stock(variant: Variant) -> None:
    product = variant.product
    in_stock = any(v.available for v in product.variants)
    if product.in_stock != in_stock:
        product.in_stock = in_stock
        db.session.flush()


def movements_total(variant: Variant) -> int:
    """The sum of a variant's movements (always equal to its quantity)."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StockMovement.delta), 0)).where(
            StockMovement.variant_id == variant.id
        )
    )
