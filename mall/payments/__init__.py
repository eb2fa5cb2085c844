"""Payments: providers (Stripe, test, bank transfer, offline card) and webhooks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
