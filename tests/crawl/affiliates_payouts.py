"""Affiliate payouts: the operator's batches, their PayPal CSV, marking paid, and a payout's
failure or (one left out of the CSV) payment. Operators only (403 for everyone else,
``tests/affiliates/test_payouts_pages.py``); batches and payouts are platform rows, under no
shop's path."""

from __future__ import annotations

MALL_ROUTES = {
    "affiliate_payouts_console.index",
    "affiliate_payouts_console.make_batch",
    "affiliate_payouts_console.batch",
    "affiliate_payouts_console.batch_csv",
    "affiliate_payouts_console.batch_paid",
    "affiliate_payouts_console.payout_failed",
    "affiliate_payouts_console.payout_paid",
}
