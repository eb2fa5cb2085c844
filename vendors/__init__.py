"""Suppliers of a shop: purchase orders, receiving, drop-ship, vendor bills, payables.

The top layer (with ``affiliates``): it may import everything below it (mall domains,
tenants, core) and listens to the orders' signals; nothing below imports it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Each part of purchasing wires its own pages, hooks and jobs."""
    from vendors import bills, demo, directory, purchasing, vendor_link

    directory.wire(app)
    purchasing.wire(app)
    vendor_link.wire(app)
    bills.wire(app)
    demo.wire(app)
