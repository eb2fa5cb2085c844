"""How purchasing and the vendor link put counts into words: "1 pack", "2 packs (24 units)".

One place for the plural, so no page or message says "1 units". A drop-ship line is
counted in the customer's units (its pack size is 1: ``services.build_line``), so it
reads "2 units", never "2 packs"; a stock line reads packs, with the units they hold
when a pack holds more than one.
"""

from __future__ import annotations

from dataclasses import dataclass

from vendors.models import PurchaseOrder, PurchaseOrderLine


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "unit")`` -> "1 unit"; ``count(3, "unit")`` -> "3 units" (thousands grouped)."""
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{number:,} {word}"


def quantity(number: int, pack_size: int, *, drop_ship: bool = False) -> str:
    """A line's quantity in words: "3 units" (drop-ship), "1 pack", "2 packs (24 units)"."""
    if drop_ship:
        return count(number * max(pack_size, 1), "unit")
    if pack_size <= 1:
        return count(number, "pack")
    return f"{count(number, 'pack')} ({count(number * pack_size, 'unit')})"


def per(drop_ship: bool) -> str:
    """What a line's count and cost are in: "unit" (drop-ship: the customer's) or "pack"."""
    return "unit" if drop_ship else "pack"


@dataclass(frozen=True)
class Confirmation:
    """The question a page asks before a move that cannot be undone, and what goes with it."""

    action: str  # the endpoint's name in ``purchasing``: "close_short" or "cancel"
    question: str
    goes: list[str]
    button: str
    warning: str = ""


def confirmation(po: PurchaseOrder, action: str) -> Confirmation:
    """What closing ``po`` short or cancelling it gives up, line by line ("3 packs (36 units)
    of Basil will not come."), for the page to ask once before doing it."""
    lines = list(po.lines)
    if action == "cancel":
        goes = [_will_not_come(po, line, line.quantity_ordered) for line in lines]
        return Confirmation(
            action="cancel",
            question=f"Cancel {po.number}?",
            goes=[sentence for sentence in goes if sentence],
            button="Yes, cancel it",
            warning="The vendor's link stops working." if po.sent_at else "",
        )
    goes = [_will_not_come(po, line, _missing(line)) for line in lines]
    return Confirmation(
        action="close_short",
        question=f"Close {po.number} short?",
        goes=[sentence for sentence in goes if sentence],
        button="Yes, close it short",
    )


def _missing(line: PurchaseOrderLine) -> int:
    return max(line.quantity_ordered - line.quantity_received - line.quantity_closed, 0)


def _will_not_come(po: PurchaseOrder, line: PurchaseOrderLine, number: int) -> str:
    if number <= 0:
        return ""
    what = quantity(number, line.pack_size, drop_ship=po.drop_ship)
    return f"{what} of {line.description} will not come."
