"""Checkout: contact, address, shipping, payment, review, pay; one order per shop."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
