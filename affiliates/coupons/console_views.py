"""The operator's affiliate coupons, /admin/affiliates/coupons (blueprint
``affiliate_coupons_console``), operators only: the mall's coupons with their affiliates,
a form linking a mall coupon to an approved affiliate by code, and "Unlink". Bad input
re-renders with its message (400 or 409); linking or unlinking twice changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint
from flask.typing import ResponseReturnValue

from affiliates.coupons import services
from affiliates.coupons.link_flow import CouponPages
from mall.accounts.auth import operator_required

bp = Blueprint(
    "affiliate_coupons_console",
    __name__,
    url_prefix="/admin/affiliates/coupons",
    template_folder="../templates",
)

PAGES = CouponPages(
    template="affiliates/coupons/console.html",
    rows=services.mall_coupons,
    link_service=services.link_mall_coupon,
    unlink_service=services.unlink_mall_coupon,
    index=".index",
    headers={"Cache-Control": "private, no-store"},
)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"active": "affiliate_coupons_console.index"}


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """The mall's coupons and their affiliates, and the link form."""
    return PAGES.show()


@bp.post("/")
@operator_required
def link() -> ResponseReturnValue:
    """Link a mall coupon to an approved affiliate."""
    return PAGES.link()


@bp.post("/<uuid:mall_coupon_id>/unlink")
@operator_required
def unlink(mall_coupon_id: UUID) -> ResponseReturnValue:
    """The mall coupon's sales earn no affiliate any more."""
    return PAGES.unlink(mall_coupon_id)
