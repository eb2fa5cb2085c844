"""Affiliate applications: the program's public page, the signed-in person's own application
and affiliate page (no affiliate id in any URL: each person reaches only their own row), and
the operator's console pages (operator rights; ``tests/affiliates/test_applications.py``
shows that everyone else is refused)."""

from __future__ import annotations

MALL_ROUTES = {
    "affiliates.program",
    "affiliates.apply",
    "affiliates.home",
    "affiliates.payout",
    "affiliates_console.index",
    "affiliates_console.detail",
    "affiliates_console.approve",
    "affiliates_console.reject",
    "affiliates_console.suspend",
    "affiliates_console.reinstate",
}
