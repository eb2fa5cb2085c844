"""Becoming an affiliate: the application, the operator's decision, the code."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages (called by ``affiliates.init_app``)."""
