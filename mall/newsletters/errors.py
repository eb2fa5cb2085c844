"""The newsletters domain's error: its message is shown to the shop, operator or customer."""

from __future__ import annotations


class NewsletterError(Exception):
    """A newsletter action that cannot happen; the message says why in plain words."""
