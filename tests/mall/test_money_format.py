"""``format_money`` prints exactly what Babel's ``format_currency`` prints (issue 13: it
parses the locale and pattern once instead of on every call)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, get_currency_precision
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mall.money import format_money

CURRENCIES = ("USD", "JPY", "KWD", "EUR")
LOCALES = ("en_US", "de_DE")
# Everything a 64-bit column holds and then some; beyond 28 digits Decimal itself gives out.
AMOUNTS = st.one_of(
    st.integers(min_value=-1_000_000, max_value=1_000_000),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.integers(min_value=-(10**28) + 1, max_value=10**28 - 1),
)


def babel(minor: int, code: str, locale: str) -> str:
    amount = Decimal(minor).scaleb(-get_currency_precision(code))
    return format_currency(amount, code, locale=locale)


# No deadline: the first example loads Babel's locale data, slow on a busy machine.
@settings(max_examples=300, deadline=None)
@given(minor=AMOUNTS, code=st.sampled_from(CURRENCIES), locale=st.sampled_from(LOCALES))
@example(minor=0, code="USD", locale="en_US")
@example(minor=-1, code="KWD", locale="de_DE")
@example(minor=-(10**28) + 1, code="JPY", locale="de_DE")
@example(minor=2**63 - 1, code="EUR", locale="en_US")
def test_format_money_is_babels_format_currency(minor, code, locale):
    assert format_money(minor, code=code, locale=locale) == babel(minor, code, locale)


@pytest.mark.parametrize(
    ("minor", "code", "locale", "shown"),
    [
        (1250, "USD", "en_US", "$12.50"),
        (-123456789, "USD", "en_US", "-$1,234,567.89"),
        (0, "JPY", "en_US", "¥0"),
        (1234567, "JPY", "de_DE", "1.234.567\xa0¥"),
        (-1234567, "KWD", "en_US", "-KWD1,234.567"),
        (5, "EUR", "de_DE", "0,05\xa0€"),
        (-100000, "EUR", "de_DE", "-1.000,00\xa0€"),
    ],
)
def test_examples_a_person_would_read(minor, code, locale, shown):
    assert format_money(minor, code=code, locale=locale) == shown


@pytest.mark.parametrize("locale", ["en_IN", "de_CH", "ar_EG", "he_IL", "fr_FR", "nl_NL"])
@pytest.mark.parametrize("minor", [0, -1, 99, 123456789, -(10**20)])
def test_other_locales_print_as_babel_does(locale, minor):
    # Indian grouping, a quote-like group mark, right-to-left marks, a sign after the symbol.
    for code in CURRENCIES:
        assert format_money(minor, code=code, locale=locale) == babel(minor, code, locale)


def test_amounts_past_decimals_precision_fail_as_babel_does():
    with pytest.raises(ArithmeticError):
        babel(10**30, "USD", "en_US")
    with pytest.raises(ArithmeticError):
        format_money(10**30, code="USD")


def test_nothing_prints_as_nothing_and_the_deployment_currency_is_the_default(app_ctx):
    assert format_money(None) == ""
    assert format_money(-250) == "-$2.50"
