"""Affiliate reviews: the operator's list of commissions to review across the shops, with
Approve and Reject. Operators only (403 for everyone else, ``tests/affiliates/test_reviews.py``);
under no shop's path: a decision finds the commission's shop itself."""

from __future__ import annotations

MALL_ROUTES = {
    "affiliate_reviews_console.index",
    "affiliate_reviews_console.approve",
    "affiliate_reviews_console.reject",
}
