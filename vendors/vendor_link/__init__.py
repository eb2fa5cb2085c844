"""The vendor's signed link (no account) and drop-ship: POs made from paid orders, the vendor's
shipment reaching the customer.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
