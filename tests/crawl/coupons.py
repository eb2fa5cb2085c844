"""Coupons: a shop's coupons (back office) and the operator's mall coupons."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "coupons_admin.coupons",
    "coupons_admin.new_coupon",
    "coupons_admin.edit_coupon",
    "coupons_admin.coupon_active",
}

# Operators only, platform data.
MALL_ROUTES = {
    "coupons_console.coupons",
    "coupons_console.new_coupon",
    "coupons_console.edit_coupon",
    "coupons_console.coupon_active",
}


def make_coupon(shop):
    """A 10% coupon of ``shop``; returns its id."""
    from mall.coupons import editing
    from mall.db import utcnow
    from tenants.context import tenant_context

    with tenant_context(shop):
        coupon = editing.create_shop_coupon(
            editing.CouponInput(
                code=f"CRAWL{uuid4().hex[:8]}", kind="percent", percent_bp=1000, starts_at=utcnow()
            )
        )
        coupon_id = coupon.id
        db.session.commit()
    return coupon_id


OBJECT_IDS = {"coupon_id": make_coupon}
