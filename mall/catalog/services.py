"""Catalog services: products with options and variants, status, categories, summaries.

Input arrives as a ``ProductInput`` (from a form or a CSV row); ``check_product``
reports every problem by field without touching the database beyond reads, so
that an import can validate every row before applying any. Services flush,
never commit; they run in the shop's tenant context.

An update keeps each saved variant a row still lists (``models.match_variants``:
by id, option choice, SKU, or its choice carried over to new options). Others are
removed, their stock out through a "variant removed" movement, their history kept
(``stock.retire_variant``); one holding stock or files only when the person
confirmed it (``remove=``), else ``check_product`` reports it (``removed_variants``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from mall.catalog import media, search_index
from mall.catalog.errors import CatalogError as CatalogError  # re-exported
from mall.catalog.errors import FieldError, InvalidProduct
from mall.catalog.markdown import render_markdown
from mall.catalog.models import (
    Category,
    DigitalFile,
    EditedRow,
    Product,
    ProductImage,
    ProductKind,
    ProductStatus,
    Removal,
    Variant,
    match_variants,
    option_key,
    option_label,
)
from mall.catalog.stock import retire_variant
from mall.db import utcnow
from mall.extensions import db
from mall.money import check_amount
from mall.numbers import check_whole
from tenants.guard import scoped_get

MAX_OPTIONS = 3
MAX_VARIANTS = 100
MAX_TAGS = 20
MAX_OPTION_TEXT = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,198}[a-z0-9])?$")
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


@dataclass
class VariantInput:
    """A variant as typed: price in minor units, option choice by option name."""

    sku: str
    price: int
    compare_at_price: int | None = None
    option_values: dict[str, str] = field(default_factory=dict)
    track_stock: bool = True
    allow_backorder: bool = False
    low_stock_threshold: int = 0
    # The saved variant this row edits (the editor's rows carry it); None for a new row.
    variant_id: UUID | None = None


@dataclass
class ProductInput:
    """A product as typed, with its options and every variant."""

    title: str
    variants: list[VariantInput]
    slug: str | None = None
    description_md: str = ""
    kind: ProductKind = ProductKind.PHYSICAL
    status: ProductStatus = ProductStatus.DRAFT
    tax_class: str = "standard"
    weight_grams: int | None = None
    category_id: UUID | None = None
    tags: list[str] = field(default_factory=list)
    options: list[dict] = field(default_factory=list)


def slugify(text: str) -> str:
    """``"Café Crème 250g"`` -> ``"cafe-creme-250g"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:200].strip("-") or "product"


# ---------------------------------------------------------------- validation


def check_product(
    data: ProductInput, *, product: Product | None = None, remove: Collection[UUID] = ()
) -> list[FieldError]:
    """Every problem with ``data`` (creating, or updating ``product``); [] when it is fine.

    Updating, a saved variant that ``data`` leaves out while it holds stock or
    files is a problem (field ``removed_variants``) unless its id is in ``remove``.
    """
    errors: list[FieldError] = []
    if not data.title.strip():
        errors.append(FieldError("title", "Enter a title."))
    elif len(data.title) > 200:
        errors.append(FieldError("title", "Use at most 200 characters."))
    slug = data.slug or slugify(data.title)
    if not SLUG_PATTERN.match(slug):
        errors.append(FieldError("slug", "Use lower-case letters, digits and hyphens."))
    elif _slug_taken(slug, product):
        errors.append(FieldError("slug", f"Another product of this shop uses “{slug}”."))
    if data.weight_grams is not None and data.weight_grams < 0:
        errors.append(FieldError("weight_grams", "Enter a weight of zero or more."))
    elif data.weight_grams is not None and (message := check_whole(data.weight_grams)):
        errors.append(FieldError("weight_grams", message))  # past what its column holds
    if data.category_id is not None and db.session.get(Category, data.category_id) is None:
        errors.append(FieldError("category", "Choose a category of the mall."))
    if not data.tax_class or len(data.tax_class) > 32:
        errors.append(FieldError("tax_class", "Use 1 to 32 characters."))
    if len(data.tags) > MAX_TAGS or any(len(t) > 50 for t in data.tags):
        errors.append(FieldError("tags", f"Use at most {MAX_TAGS} tags of 50 characters."))
    option_errors = check_options(data.options)
    errors += option_errors + _check_variants(data, product)
    if product is not None and not option_errors:
        for removal in planned_removals(product, data.variants, data.options):
            if removal.holds_something and removal.variant.id not in remove:
                errors.append(FieldError("removed_variants", removal.refusal))
    return errors


def _slug_taken(slug: str, product: Product | None) -> bool:
    query = sa.select(Product.id).where(Product.slug == slug)
    if product is not None:
        query = query.where(Product.id != product.id)
    return db.session.scalar(query) is not None


def check_options(options: list[dict]) -> list[FieldError]:
    """The problems of a product's options alone (part of ``check_product``)."""
    errors: list[FieldError] = []
    if len(options) > MAX_OPTIONS:
        return [FieldError("options", f"Use at most {MAX_OPTIONS} options.")]
    names = [str(o.get("name", "")).strip() for o in options]
    if any(not n for n in names) or len(set(names)) != len(names):
        errors.append(FieldError("options", "Each option needs a distinct name."))
    if any(c in name for name in names for c in "=|"):
        errors.append(FieldError("options", "Option names cannot contain = or |."))
    for n, option in enumerate(options):
        values = [str(v).strip() for v in option.get("values", [])]
        if not values or any(not v for v in values) or len(set(values)) != len(values):
            errors.append(FieldError(f"options[{n}]", "List distinct, non-empty values."))
        if len(names[n]) > MAX_OPTION_TEXT or any(len(v) > MAX_OPTION_TEXT for v in values):
            errors.append(
                FieldError(f"options[{n}]", f"Use at most {MAX_OPTION_TEXT} characters each.")
            )
    return errors


def _check_variants(data: ProductInput, product: Product | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.variants:
        return [FieldError("variants", "A product needs at least one variant.")]
    if len(data.variants) > MAX_VARIANTS:
        return [FieldError("variants", f"Use at most {MAX_VARIANTS} variants.")]
    if not data.options and len(data.variants) > 1:
        errors.append(FieldError("variants", "Without options a product has one variant."))
    allowed = {
        str(o["name"]).strip(): {str(v).strip() for v in o["values"]}
        for o in data.options
        if isinstance(o, dict) and "name" in o and "values" in o
    }
    keys, skus = set(), set()
    for n, variant in enumerate(data.variants):
        where = f"variants[{n}]"
        if not SKU_PATTERN.match(variant.sku or ""):
            errors.append(FieldError(f"{where}.sku", "Use 1 to 64 letters, digits, . _ / -."))
        elif variant.sku.lower() in skus:
            errors.append(FieldError(f"{where}.sku", f"SKU {variant.sku} appears twice."))
        elif _sku_taken(variant.sku, product):
            errors.append(
                FieldError(f"{where}.sku", f"SKU {variant.sku} is used by another product.")
            )
        skus.add((variant.sku or "").lower())
        if variant.price < 0:
            errors.append(FieldError(f"{where}.price", "Enter a price of zero or more."))
        elif message := check_amount(variant.price):
            errors.append(FieldError(f"{where}.price", message))
        compare_at = variant.compare_at_price
        if compare_at is not None and (message := check_amount(compare_at)):
            errors.append(FieldError(f"{where}.compare_at_price", message))
        elif compare_at is not None and compare_at <= variant.price:
            errors.append(FieldError(f"{where}.compare_at_price", "Must be above the price."))
        if variant.low_stock_threshold < 0:
            errors.append(FieldError(f"{where}.low_stock_threshold", "Enter zero or more."))
        elif message := check_whole(variant.low_stock_threshold):
            errors.append(FieldError(f"{where}.low_stock_threshold", message))
        if set(variant.option_values) != set(allowed) or any(
            value not in allowed.get(name, ()) for name, value in variant.option_values.items()
        ):
            errors.append(FieldError(f"{where}.options", "Choose one listed value per option."))
        key = option_key(variant.option_values)
        if key in keys:
            errors.append(FieldError(f"{where}.options", "Two variants have the same choice."))
        keys.add(key)
    return errors


def _sku_taken(sku: str, product: Product | None) -> bool:
    query = sa.select(Variant.id).where(sa.func.lower(Variant.sku) == sku.lower())
    if product is not None:
        query = query.where(Variant.product_id != product.id)
    return db.session.scalar(query) is not None


# ---------------------------------------------------------------- which variants stay


def _matches(
    product: Product, rows: Sequence[EditedRow], options: list[dict]
) -> list[Variant | None]:
    saved = sorted(product.variants, key=lambda v: v.position) if product.id else []
    return match_variants(saved, rows, None if check_options(options) else options)


def planned_removals(
    product: Product, rows: Sequence[EditedRow], options: list[dict]
) -> list[Removal]:
    """The saved variants that saving these rows and options would remove, by position."""
    kept = {v.id for v in _matches(product, rows, options) if v is not None}
    going = [v for v in product.variants if v.id not in kept] if product.id else []
    if not going:
        return []
    files = dict(
        db.session.execute(
            sa.select(DigitalFile.variant_id, sa.func.count(DigitalFile.id))
            .where(DigitalFile.variant_id.in_([v.id for v in going]))
            .group_by(DigitalFile.variant_id)
        ).all()
    )
    return [
        Removal(v, option_label(v, product) or "default variant", files.get(v.id, 0)) for v in going
    ]


# ---------------------------------------------------------------- writes


def create_product(data: ProductInput) -> Product:
    """A new product with its variants (stock starts at zero; see ``stock.adjust_stock``)."""
    errors = check_product(data)
    if errors:
        raise InvalidProduct(errors)
    product = Product()
    _apply(product, data)
    db.session.add(product)
    _sync_variants(product, data.variants, [None] * len(data.variants), actor_id=None)
    db.session.flush()
    refresh_summary(product)
    return product


def update_product(
    product: Product,
    data: ProductInput,
    *,
    remove: Collection[UUID] = (),
    actor_id: UUID | None = None,
) -> Product:
    """Change a product; saved variants no row keeps are removed (see the module's docstring).

    ``remove`` holds the ids of variants with stock or files whose removal the
    person confirmed; their stock leaves through "variant removed" movements.
    """
    errors = check_product(data, product=product, remove=remove)
    if errors:
        raise InvalidProduct(errors)
    matched = _matches(product, data.variants, data.options)  # before the options change
    _apply(product, data)
    _sync_variants(product, data.variants, matched, actor_id=actor_id)
    db.session.flush()
    refresh_summary(product)
    return product


def _apply(product: Product, data: ProductInput) -> None:
    product.title = data.title.strip()
    product.slug = data.slug or slugify(data.title)
    product.description_md = data.description_md
    product.description_html = render_markdown(data.description_md)
    product.kind = data.kind
    product.tax_class = data.tax_class
    product.weight_grams = data.weight_grams if data.kind is ProductKind.PHYSICAL else None
    product.category_id = data.category_id
    product.tags = sorted({t.strip() for t in data.tags if t.strip()})
    product.options = [
        {"name": str(o["name"]).strip(), "values": [str(v).strip() for v in o["values"]]}
        for o in data.options
    ]
    _set_status(product, data.status)


def _sync_variants(
    product: Product,
    wanted: list[VariantInput],
    matched: list[Variant | None],
    *,
    actor_id: UUID | None,
) -> None:
    kept = {v.id for v in matched if v is not None}
    # Dropped variants go first (their stock out through a movement, their history kept),
    # and kept ones whose SKU or choice changes pass through a placeholder, so a SKU or a
    # choice can move to another variant (even swap) without a clash.
    for variant in [v for v in product.variants if v.id not in kept] if product.id else []:
        media.forget_stored([f.storage_key for f in variant.files])
        retire_variant(variant, actor_id=actor_id)
        product.variants.remove(variant)  # delete-orphan deletes it (and its files)
    moving = [
        variant
        for variant, item in zip(matched, wanted, strict=True)
        if variant is not None
        and (variant.sku != item.sku or variant.option_key != option_key(item.option_values))
    ]
    for variant in moving:
        variant.sku = variant.option_key = f"~{variant.id.hex}"[:64]
    db.session.flush()
    for position, (item, variant) in enumerate(zip(wanted, matched, strict=True)):
        key = option_key(item.option_values)
        if variant is None:
            # Appended (not Variant(product=…)): SQLAlchemy 2 cascades only that way.
            variant = Variant(option_key=key)
            product.variants.append(variant)
        variant.option_key = key
        variant.sku = item.sku
        variant.price = item.price
        variant.compare_at_price = item.compare_at_price
        variant.option_values = dict(item.option_values)
        variant.track_stock = item.track_stock
        variant.allow_backorder = item.allow_backorder
        variant.low_stock_threshold = item.low_stock_threshold
        variant.position = position


def _set_status(product: Product, status: ProductStatus) -> None:
    if status is ProductStatus.PUBLISHED and product.published_at is None:
        product.published_at = utcnow()
    product.status = status


def set_status(products: list[Product], status: ProductStatus) -> int:
    """Publish or unpublish products (bulk); returns how many changed."""
    changed = 0
    for product in products:
        if product.status is not status:
            _set_status(product, status)
            changed += 1
    db.session.flush()
    for product in products:
        search_index.index_product(product)
    return changed


def set_category(products: list[Product], category: Category | None) -> int:
    """Move products to a category (bulk); returns how many changed."""
    changed = 0
    for product in products:
        new_id = category.id if category else None
        if product.category_id != new_id:
            product.category_id = new_id
            changed += 1
    db.session.flush()
    for product in products:
        search_index.index_product(product)
    return changed


def delete_product(product: Product) -> None:
    """Remove a product, its variants, images and files (stored files by a job after commit)."""
    media.forget_stored(media.stored_keys(product))
    search_index.remove_product(product)
    db.session.delete(product)
    db.session.flush()


def refresh_summary(product: Product) -> None:
    """Recompute the listing fields (price range, in stock) and the search document."""
    variants = [v for v in product.variants if v not in db.session.deleted]
    prices = [v.price for v in variants]
    product.price_min = min(prices, default=0)
    product.price_max = max(prices, default=0)
    compare = [v.compare_at_price for v in variants if v.compare_at_price]
    product.compare_at_max = max(compare, default=None)
    product.in_stock = any(v.available for v in variants)
    db.session.flush()
    search_index.index_product(product)


def get_product(product_id: UUID | str) -> Product | None:
    """A product of the shop in context, or None (another shop's id is None too)."""
    return scoped_get(Product, product_id)


def get_variant(variant_id: UUID | str) -> Variant | None:
    """A variant of the shop in context, or None."""
    return scoped_get(Variant, variant_id)


def get_image(image_id: UUID | str) -> ProductImage | None:
    """A product image of the shop in context, or None."""
    return scoped_get(ProductImage, image_id)


def get_file(file_id: UUID | str) -> DigitalFile | None:
    """A digital file of the shop in context, or None."""
    return scoped_get(DigitalFile, file_id)


def get_products(ids: list[UUID | str]) -> list[Product]:
    """Products of the shop in context among ``ids`` (others silently left out)."""
    wanted = []
    for raw in ids:
        try:
            wanted.append(raw if isinstance(raw, UUID) else UUID(str(raw)))
        except ValueError:
            continue
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(Product).where(Product.id.in_(wanted))))
