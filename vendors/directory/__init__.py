"""Vendors, what each supplies (vendor products), the shop's purchasing settings, reorder
suggestions.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
