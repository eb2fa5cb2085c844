"""Stock for typed documents: what staff are warned about, and when issuing is refused.

An invoice for items the shop cannot take out of stock would be emailed with a pay
link that can never work (paying holds the stock, as a checkout does). So the
preview and the document's page say per line "Only 0 in stock", and issuing is
refused while a tracked variant that takes no backorders has less than the lines
need: staff change the quantity or receive stock first. Only untracked or
backordered variants may be invoiced beyond what is on hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.orders.entry.errors import EntryError
from mall.orders.entry.models import SalesDocument


def shortfalls(
    lines: Iterable[tuple[UUID, int]], variants: Mapping[UUID, Variant]
) -> dict[UUID, int]:
    """Variant id -> units on hand, for each variant with less stock than ``lines`` need.

    ``lines`` are (variant id, quantity); a variant on several lines needs their sum.
    A variant missing from ``variants`` (deleted since) has none.
    """
    demand: dict[UUID, int] = defaultdict(int)
    for variant_id, quantity in lines:
        demand[variant_id] += quantity
    short = {}
    for variant_id, needed in demand.items():
        variant = variants.get(variant_id)
        if variant is None:
            short[variant_id] = 0
        elif (
            variant.track_stock and not variant.allow_backorder and variant.stock_quantity < needed
        ):
            short[variant_id] = max(variant.stock_quantity, 0)
    return short


def document_shortfalls(document: SalesDocument) -> dict[UUID, int]:
    """The document's shortfalls (see ``shortfalls``), read fresh from the catalog."""
    ids = sorted({line.variant_id for line in document.lines})
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Variant)
        .where(Variant.id.in_(ids))
        .execution_options(populate_existing=True)  # stock moves under us
    ).all()
    variants = {variant.id: variant for variant in rows}
    return shortfalls(((line.variant_id, line.quantity) for line in document.lines), variants)


def check_stock_to_issue(document: SalesDocument) -> None:
    """Refuse (EntryError, at the first short line's quantity) to issue an invoice the shop
    has not the stock for."""
    short = document_shortfalls(document)
    if not short:
        return
    position, line = next(
        (index, line) for index, line in enumerate(document.lines) if line.variant_id in short
    )
    wanted = sum(other.quantity for other in document.lines if other.variant_id == line.variant_id)
    raise EntryError(
        f"Not issued: only {short[line.variant_id]} of “{line.title}” in stock for the "
        f"{wanted} on this invoice. Change the quantity, or receive stock first.",
        field=f"quantity-{position}",
    )
