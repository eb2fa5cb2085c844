"""``flask mall catalog import|export``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog.models import Product, StockMovement
from mall.extensions import db
from tenants.context import tenant_context
from tests.mall.test_catalog_csv import (
    bad,
    csv_bytes,
    ebook_row,
    ensure_clothing,
    export,
    good_file,
    shirt_rows,
)


@pytest.fixture(autouse=True)
def clothing(app_ctx):
    return ensure_clothing()


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["mall", "catalog", *args])


def count(shop, model) -> int:
    with tenant_context(shop):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_importing_a_bad_file_prints_each_problem_and_exits_1(app, shop_a, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(*bad(shirt_rows(), price="abc"), ebook_row(kind="service")))
    result = invoke(app, "import", "shop-a", str(path))
    assert result.exit_code == 1, result.output
    assert "row 3, column price: Enter an amount such as 12.50." in result.output
    assert "row 4, column kind: Use physical or digital." in result.output
    assert "2 problem(s): nothing was imported." in result.output
    assert count(shop_a, Product) == 0 and count(shop_a, StockMovement) == 0


def test_importing_a_good_file_prints_the_counts(app, shop_a, tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(good_file())
    result = invoke(app, "import", "shop-a", str(path))
    assert result.exit_code == 0, result.output
    assert "shop-a: 3 product(s) created, 0 updated, 0 unchanged; 3 stock adjustment(s)." in (
        result.output
    )
    assert count(shop_a, Product) == 3
    again = invoke(app, "import", "shop-a", str(path))
    assert "0 product(s) created, 0 updated, 3 unchanged" in again.output


def test_export_writes_to_stdout_or_a_file(app, shop_a, tmp_path):
    source = tmp_path / "good.csv"
    source.write_bytes(good_file())
    invoke(app, "import", "shop-a", str(source))
    with tenant_context(shop_a):
        expected = export()
    to_stdout = invoke(app, "export", "shop-a")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout_bytes == expected
    target = tmp_path / "out.csv"
    to_file = invoke(app, "export", "shop-a", str(target))
    assert to_file.exit_code == 0, to_file.output
    assert target.read_bytes() == expected
    assert f"Wrote 4 row(s) to {target}." in to_file.output


def test_an_unknown_shop_is_a_usage_error(app, database, tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(good_file())
    result = invoke(app, "import", "nowhere", str(path))
    assert result.exit_code == 2
    assert "no shop with the slug 'nowhere'" in result.output


def test_numbers_past_their_columns_are_problems_not_crashes(app, shop_a, tmp_path):
    path = tmp_path / "big.csv"
    rows = [ebook_row(price="100000000000000000000", stock="2147483648", weight_grams="-1")]
    path.write_bytes(csv_bytes(*rows))
    result = invoke(app, "import", "shop-a", str(path))
    assert result.exit_code == 1, result.output
    assert (
        "row 2, column weight_grams: Enter a whole number from 0 to 1,000,000,000." in result.output
    )
    assert "row 2, column price: Enter an amount of at most $10,000,000,000.00." in result.output
    assert (
        "row 2, column stock: Enter a whole number from -1,000,000,000 to 1,000,000,000."
        in result.output
    )
    assert count(shop_a, Product) == 0


def test_the_export_quotes_formulas_and_reads_them_back(app, shop_a, tmp_path):
    source = tmp_path / "formula.csv"
    source.write_bytes(csv_bytes(ebook_row(title="@SUM(1+1)*cmd|' /C calc'!A0")))
    invoke(app, "import", "shop-a", str(source))
    target = tmp_path / "out.csv"
    invoke(app, "export", "shop-a", str(target))
    assert ",'@SUM(1+1)*cmd|' /C calc'!A0," in target.read_text()
    again = invoke(app, "import", "shop-a", str(target))
    assert "0 product(s) created, 0 updated, 1 unchanged" in again.output
    with tenant_context(shop_a):
        assert db.session.scalars(sa.select(Product.title)).one() == "@SUM(1+1)*cmd|' /C calc'!A0"
