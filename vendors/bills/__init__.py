"""Vendor bills, credit notes, bill payments, payables with aging, vendor statements; their ledger
postings.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
