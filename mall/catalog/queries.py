"""Reads for the shop's catalog back office: product list, stock history, files.

Each returns what one page shows, in a fixed number of queries whatever the
number of rows; they run in the shop's tenant context.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from mall.catalog.models import Product, ProductStatus, Variant
from mall.extensions import db
from mall.pagination import Page, paginate

SORTS = {
    "updated": (Product.updated_at.desc(), Product.id.desc()),
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "title": (Product.title, Product.id),
}
# What "out of stock" and "low stock" mean for one variant, in SQL (as Variant.available
# and Variant.low_on_stock do in Python).
OUT_OF_STOCK = sa.and_(
    Variant.track_stock.is_(True), Variant.allow_backorder.is_(False), Variant.stock_quantity <= 0
)
LOW_ON_STOCK = sa.and_(
    Variant.track_stock.is_(True),
    Variant.stock_quantity > 0,
    Variant.stock_quantity <= Variant.low_stock_threshold,
)


def _any_variant(*conditions: sa.ColumnElement[bool]) -> sa.Exists:
    return (
        sa.select(Variant.id)
        .where(
            Variant.tenant_id == Product.tenant_id, Variant.product_id == Product.id, *conditions
        )
        .exists()
    )


def product_list(
    *,
    text: str | None = None,
    status: str | None = None,
    category_id: str | None = None,
    stock: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """The shop's products by title or SKU, status, category and stock ("out"/"low"), sorted."""
    query = sa.select(Product)
    if text:
        query = query.where(
            sa.or_(
                Product.title.icontains(text, autoescape=True),
                _any_variant(Variant.sku.icontains(text, autoescape=True)),
            )
        )
    if status:
        query = query.where(Product.status == ProductStatus(status))
    if category_id:
        query = query.where(Product.category_id == UUID(category_id))
    if stock:
        query = query.where(_any_variant(OUT_OF_STOCK if stock == "out" else LOW_ON_STOCK))
    query = query.order_by(*SORTS.get(sort or "updated", SORTS["updated"])).options(
        joinedload(Product.category),
        selectinload(Product.variants),
        selectinload(Product.images),
    )
    return paginate(query, page=page, per_page=per_page)


def variants_with_files(product: Product) -> list[Variant]:
    """A product's variants with their digital files (two queries)."""
    return list(
        db.session.scalars(
            sa.select(Variant)
            .where(Variant.product_id == product.id)
            .options(selectinload(Variant.files))
            .order_by(Variant.position)
        )
    )
