"""Masked personal data for lists: enough to recognise a person, not to contact them."""

from __future__ import annotations

from tenants.keys.fields import ERASED, UNREADABLE

MASK = "***"


def mask_email(value: str) -> str:
    """``ada@example.com`` -> ``a***@example.com``; "[erased]", "[unreadable]" unchanged."""
    if not value:
        return ""
    if value in (ERASED, UNREADABLE):
        return value
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain:
        return MASK
    return f"{local[0]}{MASK}@{domain}"
