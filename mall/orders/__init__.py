"""Orders: one per shop per checkout, lines that snapshot the sale, stock holds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet."""
