"""Affiliate links: ``/r/<code>`` and ``?ref=<code>``, the click record and the referral cookie."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages and hooks (called by ``affiliates.init_app``)."""
