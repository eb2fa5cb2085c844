"""Recurring invoices' pages (being built)."""

from __future__ import annotations

from flask import Flask


def wire_recurring(app: Flask) -> None:
    """Register the schedules' pages and the periodic jobs."""
