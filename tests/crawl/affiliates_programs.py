"""Affiliate programs: the operator's program settings and a shop's affiliate terms and
product rates (back office). ``product_id`` comes from ``tests.crawl.catalog``: shop B's
product on shop A's path answers 404 (``tests/affiliates/test_terms.py`` also posts shop
B's product id in the form)."""

from __future__ import annotations

# Operators only (403 for everyone else).
MALL_ROUTES = {
    "affiliate_program_console.settings",
    "affiliate_program_console.save_settings",
}

SHOP_ROUTES = {
    "affiliate_terms_admin.terms",
    "affiliate_terms_admin.save_terms",
    "affiliate_terms_admin.products",
    "affiliate_terms_admin.set_product_rate",
    "affiliate_terms_admin.remove_product_rate",
}
