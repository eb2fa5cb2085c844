"""Purchase orders: numbers, drafts, sending (HTML + PDF), the state machine, receiving and closing
short.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
