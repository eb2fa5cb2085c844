"""Coupons: shop coupons (funded by the shop) and mall coupons (by the platform)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
