"""Money: amounts in 64-bit columns, one maximum for every typed amount (issue 8, item 7)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog import services
from mall.catalog.models import Product, Variant
from mall.extensions import db
from mall.money import MAX_AMOUNT, MoneyError, check_amount, max_minor, parse_money
from tenants.context import tenant_context

TOO_MUCH = "Enter an amount of at most $10,000,000,000.00."
AMOUNT_COLUMNS = [
    ("variants", "price"),
    ("variants", "compare_at_price"),
    ("products", "price_min"),
    ("products", "price_max"),
    ("products", "compare_at_max"),
]


def test_amounts_up_to_the_maximum_fit_a_64_bit_column(app_ctx):
    assert max_minor() == int(MAX_AMOUNT) * 100 and max_minor("KWD") == int(MAX_AMOUNT) * 1000
    # A cart's most (50 lines of 99) of the dearest thing in a three-decimal currency.
    assert max_minor("KWD") * 99 * 50 < 2**63 - 1
    assert parse_money("2147483648") == 214_748_364_800
    assert parse_money("30000000") == 3_000_000_000  # €30M: more than a 32-bit column holds
    assert parse_money("10000000000") == max_minor()


@pytest.mark.parametrize("typed", ["10000000000.01", "100000000000000000000", "9" * 400])
def test_an_amount_past_the_maximum_names_the_maximum(app_ctx, typed):
    with pytest.raises(MoneyError) as refused:
        parse_money(typed)
    assert str(refused.value) == TOO_MUCH


@pytest.mark.parametrize(
    "typed",
    ["\uff11", "\u0661\u0662", "1e3", "1e20", "NaN", "Infinity", "1_000", "0x10", "1.2.3", "."],
)
def test_only_ascii_digits_and_one_point_are_an_amount(app_ctx, typed):
    # Decimal() reads fullwidth and Arabic-Indic digits and exponents: a refund of a
    # fullwidth one was 1.00 while the units beside it refused the same character.
    with pytest.raises(MoneyError, match=r"Enter an amount such as 12\.50\."):
        parse_money(typed)


def test_check_amount_bounds_what_services_store(app_ctx):
    assert check_amount(0) is None and check_amount(max_minor()) is None
    assert check_amount(max_minor() + 1) == TOO_MUCH
    assert check_amount(-1) == "Enter an amount of zero or more."
    assert check_amount(10**9, code="JPY") is None
    assert check_amount(10**10 + 1, code="JPY") == "Enter an amount of at most ¥10,000,000,000."


def test_a_30_million_item_is_stored_and_read_back(app_ctx, shop_a):
    with tenant_context(shop_a):
        product = services.create_product(
            services.ProductInput(
                title="Yacht",
                variants=[
                    services.VariantInput(
                        sku="YACHT", price=3_000_000_000, compare_at_price=max_minor()
                    )
                ],
            )
        )
        db.session.commit()
        db.session.expire_all()
        row = db.session.scalars(sa.select(Variant)).one()
        assert (row.price, row.compare_at_price) == (3_000_000_000, max_minor())
        saved = db.session.get(Product, (shop_a.id, product.id))
        assert (saved.price_max, saved.compare_at_max) == (3_000_000_000, max_minor())


def test_amount_columns_are_64_bit(app_ctx, backend):
    inspector = sa.inspect(db.session.connection())
    for table, column in AMOUNT_COLUMNS:
        (found,) = [c for c in inspector.get_columns(table) if c["name"] == column]
        # SQLite's INTEGER is 64-bit whatever it is called.
        expected = sa.BigInteger if backend == "postgresql" else sa.Integer
        assert isinstance(found["type"], expected), (table, column, found["type"])


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("1,250.00", 125_000), ("1,234,567", 123_456_700), ("$1,000", 100_000), ("12.5", 1250)],
)
def test_commas_between_thousands_are_read(app_ctx, typed, minor):
    assert parse_money(typed) == minor


@pytest.mark.parametrize(
    "typed", ["1,5", "12,99", "0,01", "1,50", "1,2345", ",5", "1,,000", "1,000,5"]
)
def test_a_decimal_comma_is_refused_never_read_as_thousands(app_ctx, typed):
    with pytest.raises(MoneyError, match="point for the decimals"):
        parse_money(typed)
