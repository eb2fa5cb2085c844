"""Affiliate coupons: a shop links its coupons to affiliates (back office, ``shop.settings``;
another shop's coupon answers 404 through ``coupon_id`` of ``tests/crawl/coupons.py``), the
operator links mall coupons (operators only)."""

from __future__ import annotations

SHOP_ROUTES = {
    "affiliate_coupons_admin.coupons",
    "affiliate_coupons_admin.link",
    "affiliate_coupons_admin.unlink",
}

MALL_ROUTES = {
    "affiliate_coupons_console.index",
    "affiliate_coupons_console.link",
    "affiliate_coupons_console.unlink",
}
