"""Whole numbers people type (quantities, weights, thresholds, page numbers), bounded.

Counts are stored in 32-bit integer columns (PostgreSQL ``integer``: at most
2,147,483,647); a larger number reaches the database and fails there (a 500:
"integer out of range" on PostgreSQL, ``OverflowError`` past 64 bits on SQLite).
So every typed count is bounded here, before any service sees it, with one
message. ``MAX_COUNT`` (a billion) is below the column with room for one
addition: a stock quantity at the bound plus a movement at the bound still fits.

Amounts of money are not counts: see ``mall.money`` (64-bit columns, ``MAX_AMOUNT``).
"""

from __future__ import annotations

import re

INT32_MAX = 2**31 - 1
# The largest quantity, weight (grams) or threshold a person may type: 2 * MAX_COUNT <= INT32_MAX.
MAX_COUNT = 1_000_000_000
# ASCII digits only: str.isdigit() and int() also take "²" or "٣", which are no one's quantity.
_WHOLE = re.compile(r"[+-]?[0-9]+")


class NumberError(ValueError):
    """A typed value that is not a whole number in range; the message says what to enter."""


def range_message(minimum: int, maximum: int) -> str:
    """``"Enter a whole number from 0 to 1,000,000,000."``"""
    return f"Enter a whole number from {minimum:,} to {maximum:,}."


def check_whole(value: int, *, minimum: int = 0, maximum: int = MAX_COUNT) -> str | None:
    """The message when an already parsed ``value`` is out of range, else None."""
    return None if minimum <= value <= maximum else range_message(minimum, maximum)


def parse_whole(text: str | None, *, minimum: int = 0, maximum: int = MAX_COUNT) -> int:
    """``" 42 "`` -> ``42``; raises ``NumberError`` unless a whole number from min to max."""
    raw = (text or "").strip()
    if not _WHOLE.fullmatch(raw):
        raise NumberError("Enter a whole number.")
    digits = raw.lstrip("+-").lstrip("0")
    # Past 19 digits it is out of any range here; int() of thousands of digits is refused anyway.
    if len(digits) > 19:
        raise NumberError(range_message(minimum, maximum))
    value = int(raw)
    message = check_whole(value, minimum=minimum, maximum=maximum)
    if message:
        raise NumberError(message)
    return value
