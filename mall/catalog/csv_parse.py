"""Reading a catalog CSV: the format's columns, and rows grouped into products.

The format itself is described in ``mall.catalog.csv_io``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from mall import csvsafe
from mall.catalog.models import ProductKind, ProductStatus
from mall.catalog.services import ProductInput, VariantInput
from mall.money import MoneyError, parse_money
from mall.numbers import MAX_COUNT, NumberError, parse_whole

OPTION_COLUMNS = tuple(f"option{k}_{part}" for k in (1, 2, 3) for part in ("name", "value"))
COLUMNS: tuple[str, ...] = (
    "handle", "title", "description", "kind", "status", "category", "tags",
    "weight_grams", "tax_class", *OPTION_COLUMNS, "sku", "price", "compare_at_price",
    "track_stock", "allow_backorder", "low_stock_threshold", "stock",
)  # fmt: skip
REQUIRED = ("handle", "title", "sku", "price")
PRODUCT_COLUMNS = frozenset(COLUMNS[:9]) | {"option1_name", "option2_name", "option3_name"}
BATCH = 200
# The whole-number columns and their bounds (within their 32-bit columns: mall.numbers).
WHOLE_BOUNDS = {
    "weight_grams": (0, MAX_COUNT),
    "low_stock_threshold": (0, MAX_COUNT),
    "stock": (-MAX_COUNT, MAX_COUNT),
}
# Keeps option_key (three "name=value" pairs) within its 500-character column.
MAX_OPTION_TEXT = 80
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
COLUMN_ORDER = {name: n for n, name in enumerate(COLUMNS)}
# A value shown in a message about rows that disagree (longer ones are not quoted).
SHOWN_VALUE = 40


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
    # Later rows giving another value for a product column: one error per column, on the first row.
    disagreements: list[RowError] = field(default_factory=list)
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
    # How many rows ``validate`` looked at: every row read, or none when the file is unreadable.
    checked_rows: int = 0
    # The header itself is wrong, or a row cannot be read: no row is looked at.
    unreadable: bool = False
    validated: bool = False


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
    reader = csvsafe.reader(io.StringIO(text, newline=""))  # takes off the export's formula quotes
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
        build_product(item)
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
        elif name not in COLUMN_ORDER:
            errors.append(RowError(1, name, f"Unknown column “{name}”. Known columns: {known}."))
        elif header.index(name) != n - 1:
            errors.append(RowError(1, name, f"The column “{name}” appears twice."))
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(1, name, f"The required column “{name}” is missing."))
    return errors


def _records(reader: csvsafe.SafeReader) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted cell may span lines)."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        if any(cell.strip() for cell in cells):
            yield start, cells


def build_product(item: ParsedProduct) -> None:
    """Turn the raw rows of ``item`` into its ProductInput, stock wanted and reading errors."""
    errors: list[RowError] = []
    first_line, first = item.rows[0]
    item.stock = {}

    def cell(row: dict[str, str], name: str) -> str:
        return (row.get(name) or "").strip()

    # Product columns are read from the first row: a later row giving another value is
    # reported once per column, on the first row, naming the rows (not once per row).
    item.disagreements = []
    for name in sorted(PRODUCT_COLUMNS - {"handle"}, key=COLUMN_ORDER.__getitem__):
        wanted = cell(first, name)
        differing = [(n, v) for n, row in item.rows[1:] if (v := cell(row, name)) and v != wanted]
        if differing:
            item.disagreements.append(RowError(first_line, name, _disagreement(differing)))

    def number(line: int, name: str, raw: str, default: int | None) -> int | None:
        if not raw:
            return default
        minimum, maximum = WHOLE_BOUNDS[name]
        try:
            return parse_whole(raw, minimum=minimum, maximum=maximum)
        except NumberError as error:
            errors.append(RowError(line, name, str(error)))
            return default

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
    unnamed: dict[int, list[int]] = {}  # option k -> lines giving it a value though it has no name
    for line, row in item.rows:
        choice_of: dict[str, str] = {}
        for k, name in numbered:
            value, column = cell(row, f"option{k}_value"), f"option{k}_value"
            if name and not value:
                errors.append(RowError(line, column, f"Enter this variant's {name}."))
            elif value and not name:
                unnamed.setdefault(k, []).append(line)
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
    for k, lines in unnamed.items():  # once, where the name is missing
        if len(lines) == 1:
            gives = f"row {lines[0]} gives it a value"
        else:
            gives = f"rows {line_list(lines)} give it values"
        message = (
            f"Option {k} has no name, but {gives}: name it here or leave option{k}_value empty."
        )
        errors.append(RowError(first_line, f"option{k}_name", message))
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


def line_list(lines: list[int]) -> str:
    """``[47, ..., 53]`` -> ``"47 to 53"``; ``[49, 52]`` -> ``"49 and 52"`` (at most 6 parts)."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    parts: list[str] = []
    for start, end in runs:
        if end - start >= 2:
            parts.append(f"{start} to {end}")
        else:
            parts += [str(n) for n in range(start, end + 1)]
    if len(parts) > 6:
        parts = [*parts[:5], f"{len(parts) - 5} more"]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _disagreement(differing: list[tuple[int, str]]) -> str:
    lines = [line for line, _ in differing]
    values = {value for _, value in differing}
    rows = f"Row {lines[0]} gives" if len(lines) == 1 else f"Rows {line_list(lines)} give"
    value = next(iter(values))
    if len(values) > 1:
        what = "other values"
    elif len(value) <= SHOWN_VALUE and value.isprintable():
        what = f"another value (“{value}”)"
    else:
        what = "another value"
    return f"{rows} {what}: the rows of a product repeat its first row's value or leave it empty."
