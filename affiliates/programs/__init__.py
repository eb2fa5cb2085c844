"""The mall program's settings, each shop's terms and product rates, and the one function
that decides which rate applies (``rates.rate_for``)."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages (called by ``affiliates.init_app``)."""
