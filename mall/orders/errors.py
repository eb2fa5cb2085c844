"""The orders domain's error: its message is shown to the customer or the shop as it is."""

from __future__ import annotations


class OrderError(Exception):
    """An order action that cannot happen; the message says why."""


class InvalidTransition(OrderError):
    """The status machine (``mall.orders.status``) does not allow this move from here."""


class StockShortage(OrderError):
    """Holding stock for an order failed: someone else bought the last units first."""

    def __init__(self, message: str, *, variant_id: object) -> None:
        super().__init__(message)
        self.variant_id = variant_id
