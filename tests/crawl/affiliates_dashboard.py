"""The affiliate's dashboard and link builder (the signed-in person's own numbers: no
affiliate id in any URL), and a shop's affiliate sales in its back office: shop B's
commission on shop A's path answers 404 (``tests/affiliates/test_shop_sales.py`` also shows
that A's list never holds B's sales)."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

MALL_ROUTES = {"affiliates_dashboard.dashboard", "affiliates_dashboard.links"}

SHOP_ROUTES = {"affiliate_sales_admin.sales_list", "affiliate_sales_admin.sale"}


def make_commission(shop, *, affiliate=None, amount: int = 120, status=None, created_at=None):
    """A commission of ``shop`` on a new order of its (committed); returns its id."""
    from affiliates.models import (
        Affiliate,
        AffiliateCommission,
        AffiliateStatus,
        CommissionStatus,
        RateKind,
        Source,
    )
    from mall.db import utcnow
    from tenants.context import tenant_context
    from tests.crawl.orders import place_order

    if affiliate is None:
        affiliate = Affiliate(
            code=f"CRAWL-{uuid4().hex[:8].upper()}", status=AffiliateStatus.APPROVED
        )
        db.session.add(affiliate)
        db.session.flush()
    now = utcnow()
    with tenant_context(shop):
        order = place_order(shop)
        made = AffiliateCommission(
            tenant_id=shop.id,
            order_id=order.id,
            affiliate_id=affiliate.id,
            source=Source.CLICK,
            rule="shop",
            rate_kind=RateKind.PERCENT,
            rate_bp=500,
            base=amount * 20,
            original_amount=amount,
            amount=amount,
            status=status or CommissionStatus.PENDING,
            held_until=now,
            created_at=created_at or now,
        )
        db.session.add(made)
        db.session.commit()
        return made.id


OBJECT_IDS = {"commission_id": make_commission}
