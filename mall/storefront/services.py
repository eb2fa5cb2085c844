"""What a shop's public pages show: a published product with everything its page needs."""

from __future__ import annotations

import html
from dataclasses import dataclass

import nh3
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from mall.catalog.models import Product, ProductStatus, Variant, ordered_choice
from mall.catalog.models import option_label as option_label  # re-exported
from mall.extensions import db

SCHEMA_ORG = "https://schema.org/"


@dataclass(frozen=True)
class StockState:
    """How a variant stands for a buyer: in stock, low, out of stock or on backorder."""

    code: str  # "in_stock" | "low" | "out" | "backorder"
    label: str
    schema: str  # schema.org ItemAvailability

    @property
    def buyable(self) -> bool:
        return self.code != "out"


def stock_state(variant: Variant) -> StockState:
    """The stock state a customer sees for ``variant``."""
    if not variant.track_stock:
        return StockState("in_stock", "In stock", SCHEMA_ORG + "InStock")
    if variant.stock_quantity > 0:
        if variant.low_on_stock:
            left = variant.stock_quantity
            return StockState("low", f"Only {left} left", SCHEMA_ORG + "LimitedAvailability")
        return StockState("in_stock", "In stock", SCHEMA_ORG + "InStock")
    if variant.allow_backorder:
        return StockState("backorder", "Available on backorder", SCHEMA_ORG + "BackOrder")
    return StockState("out", "Out of stock", SCHEMA_ORG + "OutOfStock")


def published_product(slug: str) -> Product | None:
    """A published product of the shop in context with its category, variants and images.

    Three queries whatever the number of variants and images (the product with
    its category, then variants, then images).
    """
    if not slug or len(slug) > 200:
        return None
    return db.session.scalar(
        sa.select(Product)
        .where(Product.slug == slug, Product.status == ProductStatus.PUBLISHED)
        .options(
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.images),
        )
    )


def plain_text(description_html: str, limit: int = 5000) -> str:
    """A description as plain text (for meta tags and structured data)."""
    text = html.unescape(nh3.clean(description_html or "", tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def option_choice(variant: Variant, product: Product | None = None) -> str:
    """``M / Red``: the values alone, for a picker already labelled with the option names."""
    return " / ".join(value for _, value in ordered_choice(variant, product))
