"""CSV import and export of a shop's products and variants.

Format: UTF-8 (a byte-order mark is fine), comma-separated, a header row, then
one row per variant. Rows with the same ``handle`` (the product's slug) form one
product, their variants in row order. Columns:

- product: ``handle``, ``title``, ``description`` (Markdown), ``kind``
  (physical/digital), ``status`` (draft/published), ``category`` (a category
  slug of the mall, or empty), ``tags`` (separated by ``;``), ``weight_grams``,
  ``tax_class``, ``option1_name``, ``option2_name``, ``option3_name``. They are
  read from a product's first row; later rows leave them empty or repeat them.
- variant: ``option1_value`` … ``option3_value`` (one value per named option),
  ``sku``, ``price`` (decimal text such as 12.50), ``compare_at_price``,
  ``track_stock`` and ``allow_backorder`` (yes/no), ``low_stock_threshold``,
  ``stock`` (the quantity wanted: the import records a stock adjustment for
  the difference; empty leaves the stock alone).

``handle``, ``title``, ``sku`` and ``price`` are required columns; another
column left out of the header keeps each existing product's (and variant's, by
SKU) current value, and gets the default on new ones. An unknown column is an
error. Variants of an existing product are matched by their option choice;
variants it has that the file does not list are removed. Row numbers are the
file's line numbers (the header is row 1).

``parse_csv`` reads a file, ``validate`` checks every product without writing
(nothing is imported if any row is wrong), ``apply`` writes in the caller's
transaction; ``export_csv`` writes the catalog in the same format, so that
importing an export changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from mall.catalog.models import Category, Product, ProductKind, ProductStatus, StockReason
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
from mall.extensions import db
from mall.money import MoneyError, parse_money, to_decimal_text

OPTION_COLUMNS = tuple(f"option{k}_{part}" for k in (1, 2, 3) for part in ("name", "value"))
COLUMNS: tuple[str, ...] = (
    "handle", "title", "description", "kind", "status", "category", "tags",
    "weight_grams", "tax_class", *OPTION_COLUMNS, "sku", "price", "compare_at_price",
    "track_stock", "allow_backorder", "low_stock_threshold", "stock",
)  # fmt: skip
REQUIRED = ("handle", "title", "sku", "price")
PRODUCT_COLUMNS = frozenset(COLUMNS[:9]) | {"option1_name", "option2_name", "option3_name"}
BATCH = 200
MAX_INT = 1_000_000_000
# Keeps option_key (three "name=value" pairs) within its 500-character column.
MAX_OPTION_TEXT = 80
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
_ORDER = {name: n for n, name in enumerate(COLUMNS)}
_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class RowError:
    """One problem: the file's line number, the CSV column ("" for the whole row) and why."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        """For ``CatalogImport.errors``."""
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column or '-'}: {self.message}"


@dataclass
class ParsedProduct:
    """The rows of one handle, read into a ProductInput and the stock wanted per SKU."""

    handle: str
    rows: list[tuple[int, dict[str, str]]]
    data: ProductInput = field(default_factory=lambda: ProductInput(title="", variants=[]))
    stock: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    category_slug: str = ""
    # option{k}_… columns behind data.options[i]: the k of each named option.
    option_numbers: list[int] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0][0]


@dataclass
class ParsedCatalog:
    """A parsed file: its columns, products by handle, problems found while reading."""

    columns: tuple[str, ...] = ()
    products: list[ParsedProduct] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    # The header itself is wrong: no row is looked at.
    unreadable: bool = False
    validated: bool = False


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
    """Write the catalog of the shop in context (by handle, then variant position); returns rows."""
    writer = csv.writer(stream, lineterminator="\r\n")
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


# ---------------------------------------------------------------- parse


def parse_csv(data: bytes) -> ParsedCatalog:
    """Read a file into products (grouped by handle), with reading errors by row and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return _unreadable(
            RowError(line, "", "The file is not UTF-8 text. Save it as “CSV UTF-8” and retry.")
        )
    if not text.strip():
        return _unreadable(RowError(1, "", "The file is empty: it needs a header row and rows."))
    if "\x00" in text:  # PostgreSQL cannot store it in text: refuse it here, by line
        line = text[: text.index("\x00")].count("\n") + 1
        return _unreadable(RowError(line, "", "The file contains a NUL byte: is it a CSV file?"))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        return _unreadable(RowError(1, "", f"The header row cannot be read ({error})."))
    errors = _header_errors(header)
    if errors:
        return ParsedCatalog(columns=tuple(header), errors=errors, unreadable=True)
    parsed = ParsedCatalog(columns=tuple(header))
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    try:
        for line, cells in _records(reader):
            parsed.total_rows += 1
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                parsed.errors.append(RowError(line, "", "This row has more cells than the header."))
                continue
            row = dict(zip(header, cells, strict=False))
            handle = row.get("handle", "").strip()
            if not handle:
                parsed.errors.append(RowError(line, "handle", "Enter the product's handle."))
                continue
            groups.setdefault(handle, []).append((line, row))
    except csv.Error as error:
        parsed.errors.append(RowError(reader.line_num, "", f"This row cannot be read ({error})."))
        parsed.unreadable = True
    if parsed.total_rows == 0 and not parsed.errors:
        parsed.errors.append(RowError(1, "", "The file has a header but no rows."))
    for handle, rows in groups.items():
        item = ParsedProduct(handle=handle, rows=rows)
        _build(item)
        parsed.products.append(item)
    return parsed


def _unreadable(error: RowError) -> ParsedCatalog:
    return ParsedCatalog(errors=[error], unreadable=True)


def _header_errors(header: list[str]) -> list[RowError]:
    errors = []
    known = ", ".join(COLUMNS)
    for n, name in enumerate(header, start=1):
        if not name:
            errors.append(RowError(1, f"#{n}", "This column has no name."))
        elif name not in _ORDER:
            errors.append(RowError(1, name, f"Unknown column “{name}”. Known columns: {known}."))
        elif header.index(name) != n - 1:
            errors.append(RowError(1, name, f"The column “{name}” appears twice."))
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(1, name, f"The required column “{name}” is missing."))
    return errors


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted cell may span lines)."""
    while True:
        start = reader.line_num + 1  # type: ignore[attr-defined]
        try:
            cells = next(reader)
        except StopIteration:
            return
        if any(cell.strip() for cell in cells):
            yield start, cells


def _build(item: ParsedProduct) -> None:
    """Turn the raw rows of ``item`` into its ProductInput, stock wanted and reading errors."""
    errors: list[RowError] = []
    first_line, first = item.rows[0]
    item.stock = {}

    def cell(row: dict[str, str], name: str) -> str:
        return (row.get(name) or "").strip()

    for line, row in item.rows[1:]:
        for name in PRODUCT_COLUMNS - {"handle"}:
            if cell(row, name) and cell(row, name) != cell(first, name):
                message = f"Differs from row {first_line}: leave it empty or repeat it."
                errors.append(RowError(line, name, message))

    def number(line: int, name: str, raw: str, default: int | None) -> int | None:
        if not raw:
            return default
        if not _INT.match(raw) or abs(int(raw)) > MAX_INT:
            errors.append(RowError(line, name, "Enter a whole number."))
            return default
        return int(raw)

    def choice(line: int, name: str, raw: str, enum: type, default: object) -> object:
        try:
            return enum(raw.lower()) if raw else default
        except ValueError:
            allowed = " or ".join(m.value for m in enum)
            errors.append(RowError(line, name, f"Use {allowed}."))
            return default

    def flag(line: int, name: str, raw: str, default: bool) -> bool:
        if raw.lower() in YES | NO:
            return raw.lower() in YES
        if raw:
            errors.append(RowError(line, name, "Use yes or no."))
        return default

    def money(line: int, name: str, raw: str) -> int | None:
        try:
            return parse_money(raw) if raw else None
        except MoneyError as error:
            errors.append(RowError(line, name, str(error)))
            return None

    tax_class = cell(first, "tax_class") or "standard"
    if len(tax_class) > 32:
        errors.append(RowError(first_line, "tax_class", "Use at most 32 characters."))
    numbered = [(k, cell(first, f"option{k}_name")) for k in (1, 2, 3)]
    named = [(k, name) for k, name in numbered if name]
    for k, name in named:
        if len(name) > MAX_OPTION_TEXT:
            errors.append(RowError(first_line, f"option{k}_name", "Use at most 80 characters."))
    values: dict[str, list[str]] = {name: [] for _, name in named}
    variants = []
    for line, row in item.rows:
        choice_of: dict[str, str] = {}
        for k, name in numbered:
            value, column = cell(row, f"option{k}_value"), f"option{k}_value"
            if name and not value:
                errors.append(RowError(line, column, f"Enter this variant's {name}."))
            elif value and not name:
                errors.append(
                    RowError(line, column, f"Option {k} has no name on row {first_line}.")
                )
            elif value:
                if len(value) > MAX_OPTION_TEXT:
                    errors.append(RowError(line, column, "Use at most 80 characters."))
                choice_of[name] = value
                if value not in values[name]:
                    values[name].append(value)
        price = money(line, "price", cell(row, "price"))
        if price is None and not cell(row, "price"):
            errors.append(RowError(line, "price", "Enter a price such as 12.50."))
        sku = cell(row, "sku")
        variants.append(
            VariantInput(
                sku=sku,
                price=price or 0,
                compare_at_price=money(line, "compare_at_price", cell(row, "compare_at_price")),
                option_values=choice_of,
                track_stock=flag(line, "track_stock", cell(row, "track_stock"), True),
                allow_backorder=flag(line, "allow_backorder", cell(row, "allow_backorder"), False),
                low_stock_threshold=number(
                    line, "low_stock_threshold", cell(row, "low_stock_threshold"), 0
                )
                or 0,
            )
        )
        stock = number(line, "stock", cell(row, "stock"), None)
        if stock is not None and sku:
            item.stock[sku] = stock
    item.data = ProductInput(
        title=cell(first, "title"),
        slug=item.handle,
        # Kept exactly as written: Markdown can depend on leading or trailing blanks.
        description_md=first.get("description") or "",
        kind=choice(first_line, "kind", cell(first, "kind"), ProductKind, ProductKind.PHYSICAL),
        status=choice(
            first_line, "status", cell(first, "status"), ProductStatus, ProductStatus.DRAFT
        ),
        tax_class=tax_class,
        weight_grams=number(first_line, "weight_grams", cell(first, "weight_grams"), None),
        tags=[t.strip() for t in cell(first, "tags").split(";") if t.strip()],
        options=[{"name": name, "values": values[name]} for _, name in named],
        variants=variants,
    )
    item.option_numbers = [k for k, _ in named]
    item.category_slug = cell(first, "category").lower()
    item.errors = errors


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
            for problem in check_product(item.data, product=product):
                located = _locate(problem, item)
                if (located.row, located.column) not in taken:
                    found.append(located)
            for (line, _), variant in zip(item.rows, item.data.variants, strict=False):
                other = seen.setdefault(variant.sku.lower(), (line, item.handle))
                if variant.sku and other[1] != item.handle:
                    message = f"SKU {variant.sku} is also on row {other[0]} (“{other[1]}”)."
                    found.append(RowError(line, "sku", message))
            errors += found
            done += len(item.rows)
            if on_progress is not None:
                on_progress(done)
    errors.sort(key=lambda e: (e.row, _ORDER.get(e.column, len(_ORDER))))
    parsed.validated = not errors
    return errors


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
        _build(item)
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
    if column not in _ORDER:
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
