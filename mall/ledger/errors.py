"""The ledger's error: its message is shown to the operator or the shop as it is."""

from __future__ import annotations


class LedgerError(Exception):
    """A posting or a money action that cannot happen; the message says why."""
