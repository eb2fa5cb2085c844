"""The purchasing domain's error: its message is shown as it is."""

from __future__ import annotations


class PurchasingError(Exception):
    """A purchasing action that cannot happen; the message says why."""
