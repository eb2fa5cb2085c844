"""Money: integer minor units in the deployment's currency, formatted with Babel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from flask import current_app

MAX_AMOUNT = Decimal(10**10)  # ten billion in major units: beyond any price


class MoneyError(ValueError):
    """A typed amount that is not a valid price; the message says why."""


def currency() -> str:
    """The deployment's ISO 4217 currency (``MALL_CURRENCY``)."""
    return current_app.config.get("CURRENCY", "USD")


def minor_digits(code: str | None = None) -> int:
    """How many decimals the currency has (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(code or currency())


def format_money(minor: int | None, *, code: str | None = None, locale: str = "en_US") -> str:
    """``1250`` -> ``"$12.50"`` in the deployment's currency."""
    if minor is None:
        return ""
    code = code or currency()
    amount = Decimal(minor).scaleb(-minor_digits(code))
    return format_currency(amount, code, locale=locale)


def parse_money(text: str | None, *, code: str | None = None) -> int:
    """``"12.5"`` -> ``1250``: what a person types, in minor units (no negatives)."""
    digits = minor_digits(code)
    raw = (text or "").strip().replace(",", "")
    for symbol in ("$", "€", "£", "¥"):
        raw = raw.replace(symbol, "")
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        raise MoneyError("Enter an amount such as 12.50.") from None
    if not amount.is_finite() or amount < 0:
        raise MoneyError("Enter an amount of zero or more.")
    if amount > MAX_AMOUNT:
        raise MoneyError("That amount is too large.")
    if amount != amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):
        raise MoneyError(f"Use at most {digits} decimal places.")
    return int(amount.scaleb(digits))


def to_decimal_text(minor: int | None, *, code: str | None = None) -> str:
    """``1250`` -> ``"12.50"``: for form fields and CSV files (no symbol)."""
    if minor is None:
        return ""
    digits = minor_digits(code)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"
