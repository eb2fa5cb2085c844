"""The catalog: the mall's categories, and each shop's products, variants, stock and media.

Product options live on the product as JSON (``[{"name": "Size", "values": ["S", "M"]}]``)
and each variant carries its own choice (``{"Size": "M"}``) and a canonical
``option_key`` that is unique per product: a product page needs three queries
(product with shop and category, variants, images) however many variants it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from tenants.models import Tenant
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class Category(PlatformModel, Timestamped, db.Model):
    """A node of the mall's category tree (managed by operators)."""

    __tablename__ = "categories"

    parent_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")

    __table_args__ = (sa.Index("ix_categories_parent_id_position", "parent_id", "position"),)


class ProductKind(StrEnum):
    PHYSICAL = "physical"
    DIGITAL = "digital"


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Product(TenantScoped, Timestamped, db.Model):
    """Something a shop sells; customers buy one of its variants."""

    __tablename__ = "products"

    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(200))
    description_md: Mapped[str] = mapped_column(sa.Text, default="")
    # Rendered from description_md and sanitised when saved (never on each view).
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[ProductKind] = mapped_column(str_enum(ProductKind), default=ProductKind.PHYSICAL)
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus), default=ProductStatus.DRAFT
    )
    tax_class: Mapped[str] = mapped_column(sa.String(32), default="standard")
    weight_grams: Mapped[int | None]
    category_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("categories.id"))
    options: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Kept by the catalog services from the variants, for listing, sorting and filters.
    price_min: Mapped[int] = mapped_column(default=0)
    price_max: Mapped[int] = mapped_column(default=0)
    compare_at_max: Mapped[int | None]
    in_stock: Mapped[bool] = mapped_column(default=False)
    sales_count: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None]
    # PostgreSQL full-text document (title, description, SKUs, shop, category, tags);
    # SQLite keeps its index in the FTS5 table product_search instead.
    search_vector: Mapped[Any] = mapped_column(
        sa.Text().with_variant(TSVECTOR(), "postgresql"), nullable=True, deferred=True
    )

    shop: Mapped[Tenant] = relationship(foreign_keys="Product.tenant_id", viewonly=True)
    category: Mapped[Category | None] = relationship()
    # Children are deleted with their product, never orphaned: their key includes tenant_id.
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        order_by="Variant.position",
        overlaps="shop",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        order_by="ProductImage.position",
        overlaps="shop,variants",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        tenant_unique("slug"),
        sa.Index("ix_products_tenant_id_status_created_at", "tenant_id", "status", "created_at"),
        sa.Index("ix_products_status_published_at", "status", "published_at"),
        sa.Index("ix_products_status_sales_count", "status", "sales_count"),
        sa.Index("ix_products_category_id_status", "category_id", "status"),
        sa.Index("ix_products_status_price_min", "status", "price_min"),
        # ix_products_search_vector (GIN, PostgreSQL only) is made by migration 0003.
    )

    @property
    def is_published(self) -> bool:
        return self.status is ProductStatus.PUBLISHED


class Variant(TenantScoped, Timestamped, db.Model):
    """One buyable version of a product, with its own SKU, price and stock."""

    __tablename__ = "variants"

    product_id: Mapped[UUID]
    sku: Mapped[str] = mapped_column(sa.String(64))
    # The option choice, e.g. {"Size": "M", "Colour": "Red"}; {} for a product without options.
    option_values: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # Canonical "Colour=Red|Size=M" (sorted), unique per product; "" for the default variant.
    option_key: Mapped[str] = mapped_column(sa.String(500), default="")
    price: Mapped[int]
    compare_at_price: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    track_stock: Mapped[bool] = mapped_column(default=True)
    allow_backorder: Mapped[bool] = mapped_column(default=False)
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    # Moves only together with a StockMovement row (tenants never edit it directly).
    stock_quantity: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants", overlaps="shop")
    files: Mapped[list[DigitalFile]] = relationship(
        back_populates="variant",
        order_by="DigitalFile.created_at",
        overlaps="product,variants",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        tenant_fk(["product_id"], "products", ondelete="CASCADE"),
        tenant_unique("sku"),
        tenant_unique("product_id", "option_key"),
        # The cart holds variant ids from many shops and finds them by id alone.
        sa.Index("ix_variants_id", "id"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
    )

    @property
    def available(self) -> bool:
        """Can be bought now."""
        return not self.track_stock or self.allow_backorder or self.stock_quantity > 0

    @property
    def low_on_stock(self) -> bool:
        return self.track_stock and 0 < self.stock_quantity <= self.low_stock_threshold


class HasChoice(Protocol):
    """A variant, or a row of the product editor: an option choice by option name."""

    option_values: Mapping[str, str]


def ordered_choice(variant: HasChoice, product: Product | None = None) -> list[tuple[str, str]]:
    """A variant's option choice as ``(name, value)`` pairs in the product's option order.

    Names the product does not list follow in the choice's own order (all of
    them when no product is given).
    """
    values = variant.option_values or {}
    names = [o.get("name") for o in (product.options or [] if product else [])]
    ordered = [n for n in names if n in values] + [n for n in values if n not in names]
    return [(name, values[name]) for name in ordered]


def option_label(variant: HasChoice, product: Product | None = None) -> str:
    """``"Size: M, Colour: Red"`` in the product's option order ("" without options)."""
    return ", ".join(f"{name}: {value}" for name, value in ordered_choice(variant, product))


class StockReason(StrEnum):
    SALE = "sale"
    RETURN = "return"
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"


class StockMovement(TenantScoped, db.Model):
    """A change of a variant's stock: the quantity is the sum of these."""

    __tablename__ = "stock_movements"

    variant_id: Mapped[UUID]
    delta: Mapped[int]
    reason: Mapped[StockReason] = mapped_column(str_enum(StockReason))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        tenant_fk(["variant_id"], "variants", ondelete="CASCADE"),
        sa.Index("ix_stock_movements_variant", "tenant_id", "variant_id", "created_at"),
        sa.CheckConstraint("delta <> 0", name="delta_not_zero"),
    )


class ProductImage(TenantScoped, Timestamped, db.Model):
    """A picture of a product, stored through the storage interface."""

    __tablename__ = "product_images"

    product_id: Mapped[UUID]
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    # Made by a job after upload; None until then (the page shows the original).
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images", overlaps="shop")

    __table_args__ = (tenant_fk(["product_id"], "products", ondelete="CASCADE"),)


class DigitalFile(TenantScoped, Timestamped, db.Model):
    """A file delivered to buyers of a digital variant (kept outside the public paths)."""

    __tablename__ = "digital_files"

    variant_id: Mapped[UUID]
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))

    variant: Mapped[Variant] = relationship(back_populates="files", overlaps="product")

    __table_args__ = (tenant_fk(["variant_id"], "variants", ondelete="CASCADE"),)


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CatalogImport(TenantScoped, Timestamped, db.Model):
    """A CSV import of products and variants, run by a job; its page shows progress."""

    __tablename__ = "catalog_imports"

    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus), default=ImportStatus.QUEUED
    )
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    filename: Mapped[str] = mapped_column(sa.String(255))
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    # [{"row": 7, "column": "price", "message": "..."}]; nothing is imported when not empty.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_products: Mapped[int] = mapped_column(default=0)
    updated_products: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
