"""A shop's affiliate coupons, /shop/<slug>/admin/affiliates/coupons (blueprint
``affiliate_coupons_admin``), owners and managers (``shop.settings``): the shop's coupons
with the affiliate each is linked to, a form linking a coupon to an eligible affiliate by
code, and "Unlink". Bad input re-renders with its message (400 or 409); another shop's
coupon answers 404; linking or unlinking twice changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g
from flask.typing import ResponseReturnValue

from affiliates.coupons import services
from affiliates.coupons.link_flow import CouponPages
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "affiliate_coupons_admin",
    __name__,
    admin=True,
    url_prefix="/admin/affiliates/coupons",
    template_folder="../templates",
)

PAGES = CouponPages(
    template="affiliates/coupons/shop.html",
    rows=services.shop_coupons,
    link_service=services.link_shop_coupon,
    unlink_service=services.unlink_shop_coupon,
    index=".coupons",
)


@bp.context_processor
def coupon_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop")}


@bp.get("/")
@requires("shop.settings")
def coupons() -> ResponseReturnValue:
    """The shop's coupons and their affiliates, and the link form."""
    return PAGES.show()


@bp.post("/")
@requires("shop.settings")
def link() -> ResponseReturnValue:
    """Link a coupon to an affiliate eligible for the shop."""
    return PAGES.link()


@bp.post("/<uuid:coupon_id>/unlink")
@requires("shop.settings")
def unlink(coupon_id: UUID) -> ResponseReturnValue:
    """The coupon's sales earn no affiliate any more."""
    return PAGES.unlink(coupon_id)
