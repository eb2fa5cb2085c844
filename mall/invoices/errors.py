"""The invoices domain's error: its message is shown to the shop as it is."""

from __future__ import annotations


class InvoiceError(Exception):
    """An invoice action that cannot happen; the message says why."""
