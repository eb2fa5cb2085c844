"""The catalog: the mall's categories, and each shop's products, variants, stock and media.

Product options live on the product as JSON (``[{"name": "Size", "values": ["S", "M"]}]``)
and each variant carries its own choice (``{"Size": "M"}``) and a canonical
``option_key`` that is unique per product: a product page needs three queries
(product with shop and category, variants, images) however many variants it has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.db import PlatformModel, Timestamped, str_enum, utcnow
from mall.extensions import db
from mall.money import AMOUNT
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
    # Amounts are 64-bit (mall.money.AMOUNT): a price may pass 2**31 minor units.
    price_min: Mapped[int] = mapped_column(AMOUNT, default=0)
    price_max: Mapped[int] = mapped_column(AMOUNT, default=0)
    compare_at_max: Mapped[int | None] = mapped_column(AMOUNT)
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
        sa.Index(
            "ix_products_category_id_status_published_at", "category_id", "status", "published_at"
        ),
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
    price: Mapped[int] = mapped_column(AMOUNT)
    compare_at_price: Mapped[int | None] = mapped_column(AMOUNT)
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


def option_key(values: Mapping[str, str]) -> str:
    """The canonical, sorted form of an option choice: ``"Colour=Red|Size=M"``."""
    return "|".join(f"{name}={values[name]}" for name in sorted(values))


def project_choice(
    choice: Mapping[str, str], options: list[dict[str, Any]]
) -> dict[str, str] | None:
    """A choice carried over to other options, or None when one of its values is gone.

    Options it shares keep their value; an option it lacks takes its first value
    (a product that gains "Colour" turns "Size: M" into "Size: M, Colour: <first>");
    an option no longer listed is dropped.
    """
    carried = {}
    for option in options:
        name, values = option["name"], list(option["values"])
        if name in choice and choice[name] not in values:
            return None
        if name not in choice and not values:
            return None
        carried[name] = choice[name] if name in choice else values[0]
    return carried


def option_renames(
    was: object, name: str, values: list[str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """``(old name, old value) -> (new name, new value)`` for an option typed over in place.

    ``was`` is the option before (``{"name", "values"}``; anything else renames
    nothing). Its name may change. A value is renamed when the list is as long as
    before and, at the same place, the old value is gone and the new one is new
    ("S, M, L" -> "S, M, XL"); a reordered, longer or shorter list renames no value.
    """
    if not isinstance(was, dict) or not isinstance(was.get("values"), list) or not name:
        return {}
    old_values = [str(v) for v in was["values"]]
    same_length = len(old_values) == len(values)
    renamed = {}
    for old, new in zip(old_values, values if same_length else old_values, strict=True):
        kept = old in values or new in old_values
        renamed[(str(was["name"]), old)] = (name, old if kept else new)
    return renamed


class EditedRow(Protocol):
    """A variant as an edit lists it (``services.VariantInput``)."""

    variant_id: UUID | None
    sku: str
    option_values: Mapping[str, str]


def match_variants(
    saved: Sequence[Variant], rows: Sequence[EditedRow], options: list[dict[str, Any]] | None
) -> list[Variant | None]:
    """The saved variant each row keeps (None: a new one), in row order; each is kept once.

    Rules, in turn, for the rows and variants still unmatched: the row names the
    variant's id; the same option choice; the same SKU (letter case aside); the
    variant's choice carried over to ``options`` (``project_choice``; skipped
    when ``options`` is None), the first variant by position winning.
    """
    matched: list[Variant | None] = [None] * len(rows)
    taken: set[UUID] = set()

    def carried(variant: Variant) -> str | None:
        choice = project_choice(variant.option_values, options) if options is not None else None
        return None if choice is None else option_key(choice)

    rules: list[tuple[Callable[[Variant], object], Callable[[EditedRow], object]]] = [
        (lambda v: v.id, lambda row: row.variant_id),
        (lambda v: v.option_key, lambda row: option_key(row.option_values)),
        (lambda v: v.sku.lower(), lambda row: (row.sku or "").lower() or None),
        (carried, lambda row: option_key(row.option_values)),
    ]
    for saved_key, row_key in rules:
        free: dict[object, Variant] = {}
        for variant in saved:
            key = saved_key(variant) if variant.id not in taken else None
            if key is not None:
                free.setdefault(key, variant)
        for n, row in enumerate(rows):
            variant = free.get(row_key(row)) if matched[n] is None else None
            if variant is not None and variant.id not in taken:
                matched[n] = variant
                taken.add(variant.id)
    return matched


@dataclass(frozen=True)
class Removal:
    """A saved variant that an update would remove, with how many files it has."""

    variant: Variant
    label: str
    files: int

    @property
    def holds_something(self) -> bool:
        """Stock (even below zero) or files: removing it needs the person's confirmation."""
        return self.variant.stock_quantity != 0 or self.files > 0

    @property
    def refusal(self) -> str:
        """Why it is not removed unasked (the CSV import shows this on the product's row)."""
        held = [f"{self.variant.stock_quantity} in stock"] if self.variant.stock_quantity else []
        held += [f"{self.files} file(s)"] if self.files else []
        return (
            f"Variant {self.variant.sku} ({self.label}) is no longer listed but holds "
            f"{' and '.join(held)}: list it again, or remove it in the product editor, "
            "which asks first."
        )


class StockReason(StrEnum):
    SALE = "sale"
    RETURN = "return"
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    # The variant left the product (its option value or option was removed): its stock goes too.
    VARIANT_REMOVED = "variant_removed"
    # Set aside for an order at checkout (it stays out once the order is paid) ...
    ORDER_HOLD = "order_hold"
    # ... and back on hand when the order was not paid in time or was cancelled.
    HOLD_RELEASED = "hold_released"

    @property
    def label(self) -> str:
        """How pages name the reason: "Variant removed"."""
        return self.value.replace("_", " ").capitalize()


class StockMovement(TenantScoped, db.Model):
    """A change of a variant's stock: the quantity is the sum of these.

    The history outlives the variant: when a variant is removed, its stock leaves
    through a "variant removed" movement and its movements keep the product, the
    SKU and the option label (``variant_id`` becomes NULL, see ``stock.retire_variant``).
    """

    __tablename__ = "stock_movements"

    product_id: Mapped[UUID]
    variant_id: Mapped[UUID | None]
    delta: Mapped[int]
    reason: Mapped[StockReason] = mapped_column(str_enum(StockReason))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the variant is removed: what the history shows for it from then on.
    removed_sku: Mapped[str | None] = mapped_column(sa.String(64))
    removed_label: Mapped[str | None] = mapped_column(sa.String(300))

    __table_args__ = (
        tenant_fk(["product_id"], "products", ondelete="CASCADE"),
        tenant_fk(["variant_id"], "variants", ondelete="CASCADE"),
        sa.Index("ix_stock_movements_variant", "tenant_id", "variant_id", "created_at"),
        sa.Index("ix_stock_movements_product", "tenant_id", "product_id", "created_at"),
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
