"""The delivery domain's error: its message is shown to the shop or the customer as it is."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery action that cannot happen; the message says why in plain words."""
