"""The payments domain's error: its message is shown to the customer or the shop as it is."""

from __future__ import annotations


class PaymentError(Exception):
    """A payment action that cannot happen; the message says why (never card data)."""
