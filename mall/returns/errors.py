"""The returns domain's error: its message is shown as it is."""

from __future__ import annotations


class ReturnError(Exception):
    """A return action that cannot happen; the message says why."""
