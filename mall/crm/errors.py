"""The CRM domain's error: its message is shown as it is."""

from __future__ import annotations


class CrmError(Exception):
    """A customer or message action that cannot happen; the message says why."""
