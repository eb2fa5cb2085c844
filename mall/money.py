"""Money: integer minor units in the deployment's currency, formatted with Babel.

Amounts are stored in 64-bit columns (``AMOUNT``: ``BIGINT`` on PostgreSQL;
SQLite's ``INTEGER`` is 64-bit already). A 32-bit column ends at 2,147,483,647
minor units, $21,474,836.47: a mall may well list a €30,000,000 villa or yacht,
and order totals multiply prices by quantities. Every amount a person types
goes through ``parse_money``, which refuses more than ``MAX_AMOUNT`` major units
(ten billion: $10,000,000,000.00, ¥10,000,000,000) with a message naming the
maximum. In the currency with most decimals (three) that is 10**13 minor units,
and the most a cart holds (50 lines of 99) is under 5 * 10**16: far inside
2**63, so totals, ledger lines and their sums never leave the column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

import sqlalchemy as sa
from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from flask import current_app

# The most a price (or any typed amount) may be, in major units.
MAX_AMOUNT = Decimal(10**10)
# The column type of every amount in minor units (prices, totals, ledger lines).
AMOUNT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class MoneyError(ValueError):
    """A typed amount that is not a valid price; the message says why."""


def currency() -> str:
    """The deployment's ISO 4217 currency (``MALL_CURRENCY``)."""
    return current_app.config.get("CURRENCY", "USD")


def minor_digits(code: str | None = None) -> int:
    """How many decimals the currency has (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(code or currency())


def format_money(minor: int | None, *, code: str | None = None, locale: str = "en_US") -> str:
    """``1250`` -> ``"$12.50"`` in the deployment's currency (what Babel's
    ``format_currency`` prints for the amount, character for character)."""
    if minor is None:
        return ""
    style = _style(code or currency(), locale)
    if style.plain is not None and type(minor) is int and -_FAST_LIMIT < minor < _FAST_LIMIT:
        return style.plain.render(minor)
    amount = Decimal(minor).scaleb(-style.digits)
    return style.pattern.apply(amount, style.locale, currency=style.code)


# Beyond 28 digits Decimal's default context rounds (or refuses) the amount: Babel decides.
_FAST_LIMIT = 10**28


@dataclass(frozen=True)
class _Plain:
    """A currency pattern with nothing but a prefix, grouped digits and a suffix, its
    symbols already in place: an integer of minor units prints with string operations."""

    digits: int
    prefix: tuple[str, str]  # (positive, negative)
    suffix: tuple[str, str]
    group: str
    decimal: str
    grouping: tuple[int, int]
    min_int: int

    def render(self, minor: int) -> str:
        # The steps of NumberPattern.apply for an exact amount: quantize, group, decimals.
        negative = minor < 0
        whole, fraction = divmod(-minor if negative else minor, 10**self.digits)
        text = str(whole).zfill(self.min_int)
        size, grouped = self.grouping[0], ""
        while len(text) > size:
            grouped = self.group + text[-size:] + grouped
            text = text[:-size]
            size = self.grouping[1]
        number = text + grouped
        if self.digits:
            number += self.decimal + str(fraction).zfill(self.digits)
        return self.prefix[negative] + number + self.suffix[negative]


@dataclass(frozen=True)
class _Style:
    """How one currency prints in one locale, parsed once: Babel's ``format_currency``
    parses the locale and looks up its pattern and symbols on every call."""

    code: str
    digits: int
    locale: Locale
    pattern: NumberPattern
    plain: _Plain | None


@lru_cache(maxsize=64)
def _style(code: str, locale_name: str) -> _Style:
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"]
    digits = get_currency_precision(code)
    return _Style(code, digits, locale, pattern, _plain(pattern, locale, code, digits))


def _plain(pattern: NumberPattern, locale: Locale, code: str, digits: int) -> _Plain | None:
    """The string-only rendering of ``pattern``, or None where Babel must do it (scientific,
    significant-digit or percent patterns, quoted text, a currency's long name)."""
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    affixes = (*pattern.prefix, *pattern.suffix)
    symbol = get_currency_symbol(code, locale)
    if (
        pattern.exp_prec
        or pattern.scale
        or "@" in pattern.pattern
        or not pattern.number_pattern
        or any("'" in text or "¤¤¤" in text for text in affixes)
        or any("'" in text or "¤" in text for text in (group, decimal, symbol, code))
    ):
        return None

    def filled(text: str) -> str:
        return text.replace("¤¤", code.upper()).replace("¤", symbol)

    return _Plain(
        digits=digits,
        prefix=(filled(pattern.prefix[0]), filled(pattern.prefix[1])),
        suffix=(filled(pattern.suffix[0]), filled(pattern.suffix[1])),
        group=group,
        decimal=decimal,
        grouping=pattern.grouping,
        min_int=pattern.int_prec[0],
    )


# Commas only between groups of three digits: "1,234.50". "1,5" is not read as 15.
THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")
DECIMAL_COMMA = "Use a point for the decimals (12.50); a comma only between thousands (1,250.00)."


PLAIN_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_money(text: str | None, *, code: str | None = None) -> int:
    """``"12.5"`` -> ``1250``: what a person types, in minor units (no negatives).

    "1,250.00" is 1250.00; a comma anywhere else ("1,5", "12,99") is refused, never
    read as a thousands separator: a refund of "1,5" must not send back 15.00.
    """
    digits = minor_digits(code)
    raw = (text or "").strip()
    for symbol in ("$", "€", "£", "¥"):
        raw = raw.replace(symbol, "")
    raw = raw.strip()
    if "," in raw:
        if not THOUSANDS.fullmatch(raw):
            raise MoneyError(DECIMAL_COMMA)
        raw = raw.replace(",", "")
    # ASCII digits and one point only: Decimal() would also read fullwidth or Arabic-Indic
    # digits, or "1e3".
    if not PLAIN_AMOUNT.fullmatch(raw.strip()):
        raise MoneyError("Enter an amount such as 12.50.")
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        raise MoneyError("Enter an amount such as 12.50.") from None
    if not amount.is_finite() or amount < 0:
        raise MoneyError("Enter an amount of zero or more.")
    if amount > MAX_AMOUNT:
        raise MoneyError(too_much(code))
    if amount != amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):
        raise MoneyError(f"Use at most {digits} decimal places.")
    return int(amount.scaleb(digits))


def to_decimal_text(minor: int | None, *, code: str | None = None) -> str:
    """``1250`` -> ``"12.50"``: for form fields and CSV files (no symbol)."""
    if minor is None:
        return ""
    digits = minor_digits(code)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def max_minor(code: str | None = None) -> int:
    """``MAX_AMOUNT`` in minor units of the currency (``10**12`` for USD)."""
    return int(MAX_AMOUNT.scaleb(minor_digits(code)))


def too_much(code: str | None = None) -> str:
    """The message for an amount past ``MAX_AMOUNT``: it names the maximum."""
    return f"Enter an amount of at most {format_money(max_minor(code), code=code)}."


def check_amount(minor: int, *, code: str | None = None) -> str | None:
    """The message when an amount in minor units is below zero or past the maximum, else None.

    For amounts that did not come through ``parse_money`` (services check every
    amount they store with this).
    """
    if minor < 0:
        return "Enter an amount of zero or more."
    return too_much(code) if minor > max_minor(code) else None


class Party(StrEnum):
    """Who funds a discount or collects a tax: the shop that sold, or the platform."""

    SHOP = "shop"
    PLATFORM = "platform"


def apply_rate(amount: int, rate_bp: int) -> int:
    """``amount`` times a rate in basis points, half-up (``apply_rate(333, 1000) == 33``)."""
    return int((Decimal(amount) * rate_bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def included_part(gross: int, rate_bp: int) -> int:
    """The tax inside a tax-inclusive ``gross`` at ``rate_bp``, rounded half-up."""
    if rate_bp <= 0:
        return 0
    tax = Decimal(gross) * rate_bp / (10_000 + rate_bp)
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder: parts sum to ``total``.

    Every part is floor(total * weight / sum) plus at most one unit; the units left
    over go to the largest remainders (ties to the earlier weight). With all weights
    zero the total is split evenly the same way. ``total`` may be negative.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over nothing")
        return []
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    sign = -1 if total < 0 else 1
    whole = abs(total)
    if sum(weights) == 0:
        weights = [1] * len(weights)
    base = sum(weights)
    parts = [whole * weight // base for weight in weights]
    remainders = [whole * weight % base for weight in weights]
    left = whole - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return [sign * part for part in parts]


def proportion(amount: int, part: int, whole: int) -> int:
    """``amount * part / whole``, half-up: the share of ``amount`` that ``part`` of ``whole`` is.

    Used cumulatively (the share of everything refunded so far, minus the share
    already taken), a sequence of partial shares adds up to exactly ``amount``
    when ``part`` reaches ``whole``: no cent is created or lost on the way.
    """
    if whole == 0:
        return 0
    share = Decimal(amount) * part / whole
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
