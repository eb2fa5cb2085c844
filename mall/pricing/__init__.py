"""Pricing: shops' shipping methods and tax rates, and the quote of a cart."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
