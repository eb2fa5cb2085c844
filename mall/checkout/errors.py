"""The checkout's error: its message is shown to the customer as it is."""

from __future__ import annotations


class CheckoutError(Exception):
    """A checkout step or submission that cannot go on; the message says why and what to do."""
