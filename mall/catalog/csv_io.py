"""CSV import and export of a shop's products and variants.

Format: UTF-8 (a byte-order mark is fine), comma-separated, a header row, then
one row per variant. Rows with the same ``handle`` (the product's slug) form one
product, their variants in row order. Columns:

- product: ``handle``, ``title``, ``description`` (Markdown), ``kind``
  (physical/digital), ``status`` (draft/published), ``category`` (a category
  slug of the mall, or empty), ``tags`` (separated by ``;``), ``weight_grams``,
  ``tax_class``, ``option1_name``, ``option2_name``, ``option3_name``. They are
  read from a product's first row; later rows leave them empty or repeat them
  (rows that give another value are named once, on the first row).
- variant: ``option1_value`` … ``option3_value`` (one value per named option),
  ``sku``, ``price`` (decimal text such as 12.50), ``compare_at_price``,
  ``track_stock`` and ``allow_backorder`` (yes/no), ``low_stock_threshold``,
  ``stock`` (the quantity wanted: the import records a stock adjustment for
  the difference; empty leaves the stock alone).

Numbers are bounded by what their columns hold: whole numbers (weight, threshold,
stock) from 0 (stock: -1,000,000,000) to 1,000,000,000 (``mall.numbers``), amounts
up to ``mall.money.MAX_AMOUNT``. A cell a spreadsheet would run as a formula
(beginning with = + - @, a tab or a carriage return, plain numbers aside) is
written with a leading ``'`` and read without it (``mall.csvsafe``).

``handle``, ``title``, ``sku`` and ``price`` are required columns; another
column left out of the header keeps each existing product's (and variant's, by
SKU) current value, and gets the default on new ones. An unknown column is an
error. Variants of an existing product are matched by their option choice
(then by SKU, then by their choice carried over to options the file adds);
variants it has that the file does not list are removed, but only when they hold
no stock and no files: otherwise the product's first row reports them (column
``handle``) and nothing is imported, so an import never drops stock or files
(remove such a variant in the product editor, which asks first and records its
stock leaving). Row numbers are the file's line numbers (the header is row 1).

``parse_csv`` reads a file, ``validate`` checks every product without writing
(nothing is imported if any row is wrong), ``apply`` writes in the caller's
transaction; ``export_csv`` writes the catalog in the same format, so that
importing an export changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from mall.catalog.csv_parse import (  # parse_csv is part of this module's API
    BATCH,
    COLUMN_ORDER,
    COLUMNS,
    PRODUCT_COLUMNS,
    REQUIRED,
    ParsedCatalog,
    ParsedProduct,
    RowError,
    build_product,
    parse_csv,
)
from mall.catalog.models import Category, Product, ProductKind, StockReason
from mall.catalog.services import (
    FieldError,
    ProductInput,
    VariantInput,
    check_product,
    create_product,
    option_key,
    update_product,
)
from mall.catalog.stock import adjust_stock
from mall.csvsafe import writer as csv_writer
from mall.extensions import db
from mall.money import to_decimal_text

# The format (columns, rows, errors) is defined in csv_parse and is part of this API.
__all__ = [
    "COLUMNS",
    "PRODUCT_COLUMNS",
    "REQUIRED",
    "ImportResult",
    "InvalidImport",
    "ParsedCatalog",
    "RowError",
    "apply",
    "export_csv",
    "parse_csv",
    "validate",
]


BELOW_ZERO = "This variant tracks stock without backorders: enter 0 or more."


@dataclass
class ImportResult:
    """What ``apply`` did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stock_movements: int = 0


class InvalidImport(ValueError):
    """``apply`` was given a file with problems; ``errors`` lists them."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


# ---------------------------------------------------------------- export


def export_csv(stream: TextIO) -> int:
    """Write the catalog of the shop in context (by handle, then variant position); returns rows.

    Cells that a spreadsheet would run as formulas are quoted (``mall.csvsafe``);
    ``parse_csv`` takes the quote off again.
    """
    writer = csv_writer(stream)
    writer.writerow(COLUMNS)
    count, last = 0, None
    while True:
        # Keyset batches keep memory flat for large catalogs.
        query = sa.select(Product).order_by(Product.slug).limit(500)
        if last is not None:
            query = query.where(Product.slug > last)
        batch = list(db.session.scalars(query.options(selectinload(Product.variants))))
        if not batch:
            return count
        slugs = _category_slugs({p.category_id for p in batch if p.category_id})
        for product in batch:
            for row in product_rows(product, slugs.get(product.category_id, "")):
                writer.writerow([row[name] for name in COLUMNS])
                count += 1
        last = batch[-1].slug


def product_rows(product: Product, category_slug: str = "") -> list[dict[str, str]]:
    """A product as CSV rows (column -> text), one per variant in position order."""
    names = [str(o["name"]) for o in product.options][:3]
    rows = []
    for variant in sorted(product.variants, key=lambda v: v.position):
        row = {
            "handle": product.slug,
            "title": product.title,
            "description": product.description_md,
            "kind": product.kind.value,
            "status": product.status.value,
            "category": category_slug,
            "tags": ";".join(product.tags or []),
            "weight_grams": "" if product.weight_grams is None else str(product.weight_grams),
            "tax_class": product.tax_class,
            "sku": variant.sku,
            "price": to_decimal_text(variant.price),
            "compare_at_price": to_decimal_text(variant.compare_at_price),
            "track_stock": "yes" if variant.track_stock else "no",
            "allow_backorder": "yes" if variant.allow_backorder else "no",
            "low_stock_threshold": str(variant.low_stock_threshold),
            "stock": str(variant.stock_quantity or 0),
        }
        for k in (1, 2, 3):
            name = names[k - 1] if k <= len(names) else ""
            row[f"option{k}_name"] = name
            row[f"option{k}_value"] = variant.option_values.get(name, "") if name else ""
        rows.append(row)
    return rows


# ---------------------------------------------------------------- validate


def validate(
    parsed: ParsedCatalog, *, on_progress: Callable[[int], None] | None = None
) -> list[RowError]:
    """Every problem in the file, by row and column ([] when it can be applied); reads only."""
    errors = list(parsed.errors)
    if parsed.unreadable:
        return errors
    slugs = {p.category_slug for p in parsed.products if p.category_slug}
    query = sa.select(Category.slug, Category.id).where(Category.slug.in_(slugs))
    categories = dict.fromkeys(slugs) | {key: value for key, value in db.session.execute(query)}
    seen: dict[str, tuple[int, str]] = {}
    done = 0
    for batch in _batches(parsed.products):
        existing = _existing(batch)
        for item in batch:
            product = existing.get(item.handle)
            if product is not None:
                _complete(item, product, parsed.columns)
            found = list(item.errors)
            if item.category_slug:
                if item.category_slug not in categories:  # filled in from the product
                    query = sa.select(Category.id).where(Category.slug == item.category_slug)
                    categories[item.category_slug] = db.session.scalar(query)
                item.data.category_id = categories[item.category_slug]
                if item.data.category_id is None:
                    message = f"No category “{item.category_slug}” in the mall."
                    found.append(RowError(item.first_row, "category", message))
            taken = {(e.row, e.column) for e in found}
            # Options the file could not read make the service's option checks follow-ons.
            options_read = not any(e.column.startswith("option") for e in found)
            for problem in check_product(item.data, product=product):
                located = _locate(problem, item)
                if (located.row, located.column) not in taken and (
                    options_read or not _about_choices(problem.field)
                ):
                    found.append(located)
            for (line, _), variant in zip(item.rows, item.data.variants, strict=False):
                other = seen.setdefault(variant.sku.lower(), (line, item.handle))
                if variant.sku and other[1] != item.handle:
                    message = f"SKU {variant.sku} is also on row {other[0]} (“{other[1]}”)."
                    found.append(RowError(line, "sku", message))
                flags_read = not {(line, "track_stock"), (line, "allow_backorder")} & taken
                if flags_read and _below_zero(variant, item.stock.get(variant.sku), product):
                    found.append(RowError(line, "stock", BELOW_ZERO))  # not after a bad flag
            errors += found + item.disagreements
            done += len(item.rows)
            if on_progress is not None:
                on_progress(done)
    errors.sort(key=lambda e: (e.row, COLUMN_ORDER.get(e.column, len(COLUMN_ORDER))))
    parsed.checked_rows = parsed.total_rows  # rows refused while reading were checked too
    parsed.validated = not errors
    return errors


def _about_choices(field: str) -> bool:
    """A service's field about options or the variants' choices of them."""
    return field == "variants" or field.startswith("options") or field.endswith(".options")


def _below_zero(variant: VariantInput, wanted: int | None, product: Product | None) -> bool:
    """True when moving to ``wanted`` would take a tracked, non-backordered variant below zero."""
    if wanted is None or wanted >= 0 or not variant.track_stock or variant.allow_backorder:
        return False
    now = {v.sku.lower(): v.stock_quantity for v in product.variants} if product else {}
    return wanted < now.get(variant.sku.lower(), 0)  # stock.adjust_stock refuses that


def _batches(products: list[ParsedProduct]) -> Iterator[list[ParsedProduct]]:
    for start in range(0, len(products), BATCH):
        yield products[start : start + BATCH]


def _existing(batch: list[ParsedProduct]) -> dict[str, Product]:
    query = (
        sa.select(Product)
        .where(Product.slug.in_([item.handle for item in batch]))
        .options(selectinload(Product.variants))
    )
    return {product.slug: product for product in db.session.scalars(query)}


def _category_slugs(ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    query = sa.select(Category.id, Category.slug).where(Category.id.in_(ids))
    return {key: value for key, value in db.session.execute(query)}


def _complete(item: ParsedProduct, product: Product, columns: tuple[str, ...]) -> None:
    """Fill the columns the file leaves out from ``product`` (variants by SKU), then re-read."""
    absent = [name for name in COLUMNS if name not in columns]
    if absent:
        slug = _category_slugs({product.category_id} if product.category_id else set())
        current = product_rows(product, slug.get(product.category_id, ""))
        by_sku = {row["sku"].lower(): row for row in current}
        for _, row in item.rows:
            match = by_sku.get((row.get("sku") or "").strip().lower(), {})
            for name in absent:
                source = current[0] if name in PRODUCT_COLUMNS else match
                row[name] = source.get(name, "") if source else ""
        build_product(item)
    # The product's order of option values wins over the order rows happen to be in.
    order = {o["name"]: list(o["values"]) for o in product.options}
    for option in item.data.options:
        known = [v for v in order.get(option["name"], []) if v in option["values"]]
        option["values"] = known + [v for v in option["values"] if v not in known]


def _locate(problem: FieldError, item: ParsedProduct) -> RowError:
    """Map a service's field (``variants[1].price``) to a row and column of the file."""
    first_option = item.option_numbers[0] if item.option_numbers else 1
    line, column = item.first_row, {"slug": "handle"}.get(problem.field, problem.field)
    if match := re.fullmatch(r"variants\[(\d+)\]\.(\w+)", problem.field):
        n, attribute = int(match[1]), match[2]
        line = item.rows[min(n, len(item.rows) - 1)][0]
        column = f"option{first_option}_value" if attribute == "options" else attribute
    elif match := re.fullmatch(r"options(?:\[(\d+)\])?", problem.field):
        n = int(match[1] or 0)
        k = item.option_numbers[n] if n < len(item.option_numbers) else first_option
        column = f"option{k}_name"
    elif problem.field == "variants":
        # Too many variants, or several without options: point at the first extra one.
        extra = 1 if len(item.rows) <= 100 else 100
        line = item.rows[min(extra, len(item.rows) - 1)][0]
        column = "option1_value" if not item.option_numbers else "handle"
    if column not in COLUMN_ORDER:
        column = "handle"
    return RowError(line, column, problem.message)


# ---------------------------------------------------------------- apply


def apply(
    parsed: ParsedCatalog, *, actor_id: UUID | None = None, note: str = "CSV import"
) -> ImportResult:
    """Create and update the file's products and move stock, in the caller's transaction."""
    if not parsed.validated:
        errors = validate(parsed)
        if errors:
            raise InvalidImport(errors)
    result = ImportResult()
    for batch in _batches(parsed.products):
        existing = _existing(batch)
        for item in batch:
            product = existing.get(item.handle)
            changed = product is None or not _same(product, item.data)
            if product is None:
                product = create_product(item.data)
                result.created += 1
            elif changed:
                update_product(product, item.data)
            moved = _move_stock(product, item.stock, actor_id=actor_id, note=note)
            result.stock_movements += moved
            if existing.get(item.handle) is not None:
                if changed or moved:
                    result.updated += 1
                else:
                    result.unchanged += 1
    return result


def _same(product: Product, data: ProductInput) -> bool:
    """True when applying ``data`` would leave ``product`` as it is (stock aside)."""
    weight = data.weight_grams if data.kind is ProductKind.PHYSICAL else None
    wanted = (
        data.title.strip(), data.description_md, data.kind, data.status, data.tax_class, weight,
        data.category_id, sorted({t.strip() for t in data.tags if t.strip()}),
        [{"name": o["name"], "values": list(o["values"])} for o in data.options],
        [(option_key(v.option_values), v.sku, v.price, v.compare_at_price, v.track_stock,
          v.allow_backorder, v.low_stock_threshold) for v in data.variants],
    )  # fmt: skip
    current = (
        product.title, product.description_md, product.kind, product.status, product.tax_class,
        product.weight_grams, product.category_id, list(product.tags or []),
        list(product.options or []),
        [(v.option_key, v.sku, v.price, v.compare_at_price, v.track_stock, v.allow_backorder,
          v.low_stock_threshold) for v in sorted(product.variants, key=lambda v: v.position)],
    )  # fmt: skip
    return wanted == current


def _move_stock(
    product: Product, wanted: dict[str, int], *, actor_id: UUID | None, note: str
) -> int:
    """Adjust each variant's stock to the quantity wanted; returns how many movements."""
    by_sku = {v.sku.lower(): v for v in product.variants}
    moved = 0
    for sku, quantity in wanted.items():
        variant = by_sku[sku.lower()]
        delta = quantity - (variant.stock_quantity or 0)
        if delta:
            adjust_stock(
                variant, delta, reason=StockReason.ADJUSTMENT, note=note, actor_id=actor_id
            )
            moved += 1
    return moved
