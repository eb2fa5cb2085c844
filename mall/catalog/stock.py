"""Stock: every change is a movement row; the variant's quantity moves with it, atomically.

The quantity is updated in SQL (``quantity = quantity + delta``) in the same
transaction as the movement, so concurrent adjustments never lose one (on
PostgreSQL the row lock serialises them) and the quantity always equals the
sum of the movements.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import StockMovement, StockReason, Variant
from mall.extensions import db


class OutOfStock(ValueError):
    """A sale asked for more than there is (and backorders are off)."""


def adjust_stock(
    variant: Variant,
    delta: int,
    *,
    reason: StockReason,
    note: str = "",
    actor_id: UUID | None = None,
) -> StockMovement:
    """Record a movement and move the quantity; sales never go below zero unless backordered."""
    if delta == 0:
        raise ValueError("a stock movement changes the quantity")
    update = (
        sa.update(Variant)
        .where(Variant.tenant_id == variant.tenant_id, Variant.id == variant.id)
        .values(stock_quantity=Variant.stock_quantity + delta)
        .execution_options(synchronize_session=False)
    )
    # Untracked or backordered variants may go below zero; tracked sales may not.
    if (
        delta < 0
        and reason is StockReason.SALE
        and variant.track_stock
        and not variant.allow_backorder
    ):
        update = update.where(Variant.stock_quantity + delta >= 0)
    if db.session.execute(update).rowcount != 1:
        raise OutOfStock(f"Only {variant.stock_quantity} of {variant.sku} left.")
    movement = _record(variant, delta, reason, note, actor_id)
    db.session.refresh(variant, ["stock_quantity"])
    _refresh_in_stock(variant)
    return movement


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
