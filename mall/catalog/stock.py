"""Stock: every change is a movement row; the variant's quantity moves with it, atomically.

The quantity is updated in SQL (``quantity = quantity + delta``) in the same
transaction as the movement, so concurrent adjustments never lose one (on
PostgreSQL the row lock serialises them) and the quantity always equals the
sum of the movements. The rules are checked here, not by the pages that call:

- a movement changes the quantity (never 0), and a receipt adds stock;
- a movement that removes stock (a sale, an adjustment) never takes a tracked
  variant without backorders below zero: the update carries
  ``WHERE stock_quantity + delta >= 0``, so the check and the write are one
  statement (no read-then-write);
- a variant leaves a product only through ``retire_variant``: its whole stock
  goes out with a "variant removed" movement, and its movements stay in the
  product's history with its SKU and option label.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.accounts.models import User
from mall.catalog.errors import CatalogError
from mall.catalog.models import Product, StockMovement, StockReason, Variant, option_label
from mall.extensions import db
from mall.numbers import MAX_COUNT, range_message
from mall.pagination import Page, paginate


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
    if abs(delta) > MAX_COUNT:
        raise InvalidMovement(range_message(-MAX_COUNT, MAX_COUNT))
    # Untracked or backordered variants may go below zero; tracked ones may not. No one
    # goes past what the column holds, however many adjustments race (checked in SQL).
    guarded = delta < 0 and variant.track_stock and not variant.allow_backorder
    low = 0 if guarded else -MAX_COUNT
    update = update.where(sa.between(Variant.stock_quantity + delta, low, MAX_COUNT))
    if db.session.execute(update).rowcount != 1:
        db.session.refresh(variant, ["stock_quantity"])  # for the message only
        if variant.stock_quantity + delta > MAX_COUNT or not guarded:
            raise InvalidMovement(
                f"That would make {variant.stock_quantity + delta:,} on hand: "
                + range_message(-MAX_COUNT, MAX_COUNT)
            )
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
        product_id=variant.product_id,
        variant_id=variant.id,
        delta=delta,
        reason=reason,
        note=note[:200],
        actor_id=actor_id,
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


def retire_variant(
    variant: Variant, *, actor_id: UUID | None = None, note: str = ""
) -> StockMovement | None:
    """Empty a variant that is about to be removed, keeping its history; the caller deletes it.

    Whatever is on hand (read under a row lock, so a sale meanwhile is not
    missed) leaves with a "variant removed" movement; then every movement of the
    variant is detached from it (``variant_id`` NULL) and keeps its SKU and option
    label, so the product's history still shows them once the variant is gone.
    Returns the movement, or None when nothing was on hand.
    """
    db.session.refresh(variant, ["stock_quantity"], with_for_update=True)
    movement = None
    if variant.stock_quantity:
        movement = adjust_stock(
            variant,
            -variant.stock_quantity,
            reason=StockReason.VARIANT_REMOVED,
            note=note,
            actor_id=actor_id,
        )
    db.session.execute(
        sa.update(StockMovement)
        .where(StockMovement.variant_id == variant.id)
        .values(
            variant_id=None,
            removed_sku=variant.sku,
            removed_label=option_label(variant, variant.product)[:300],
        )
        .execution_options(synchronize_session="fetch")
    )
    return movement


def product_movements_total(product_id: UUID) -> int:
    """The sum of every movement of a product, removed variants included."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StockMovement.delta), 0)).where(
            StockMovement.product_id == product_id
        )
    )


def history(
    product: Product, *, variant: Variant | None = None, page: int = 1, per_page: int = 25
) -> tuple[Page, dict[UUID, User]]:
    """A product's (or one variant's) movements, newest first, and who made them.

    The product's history includes the movements of its removed variants (they
    name their SKU in ``removed_sku``).
    """
    query = (
        sa.select(StockMovement)
        .where(StockMovement.product_id == product.id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
    )
    if variant is not None:
        query = query.where(StockMovement.variant_id == variant.id)
    movements = paginate(query, page=page, per_page=per_page)
    actor_ids = {m.actor_id for m in movements.items if m.actor_id}
    actors = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return movements, actors
