"""A shop's coupons at /shop/<slug>/admin/coupons (blueprint ``coupons_admin``).

Every page needs ``shop.settings``. Coupons are read by id through the tenant guard
(``editing.get_shop_coupon``), so another shop's ids answer 404. Bad input re-renders
the form with its messages and a 400; nothing is saved.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.coupons import editing, forms
from mall.coupons.form_flow import coupon_active_switch, coupon_form_round_trip
from mall.coupons.models import ShopCoupon
from mall.db import utcnow
from mall.errors import get_or_404
from mall.money import format_money
from mall.pagination import page_number
from mall.shops.permissions import can, requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "coupons_admin", __name__, admin=True, url_prefix="/admin/coupons", template_folder="templates"
)

PER_PAGE = 25


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


@bp.context_processor
def coupon_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "percent_text": forms.percent_text,
        "now": utcnow(),
    }


@bp.get("/")
@requires("shop.settings")
def coupons() -> ResponseReturnValue:
    """The shop's coupons with their use counts."""
    page = editing.shop_coupon_list(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template(
        "coupons/admin_list.html", page=page, active_form=forms.ActiveForm(formdata=None)
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("shop.settings")
def new_coupon() -> ResponseReturnValue:
    """Add a coupon the shop funds."""
    return _coupon_form(None)


@bp.route("/<uuid:coupon_id>", methods=["GET", "POST"])
@requires("shop.settings")
def edit_coupon(coupon_id: UUID) -> ResponseReturnValue:
    """Change a coupon (its count of uses stays)."""
    return _coupon_form(get_or_404(editing.get_shop_coupon, coupon_id))


def _coupon_form(coupon: ShopCoupon | None) -> ResponseReturnValue:
    return coupon_form_round_trip(
        forms.CouponForm(products=editing.product_choices()),
        coupon,
        template="coupons/admin_form.html",
        create=editing.create_shop_coupon,
        update=editing.update_shop_coupon,
        noun="Coupon",
        back_to=url_for("coupons_admin.coupons"),
    )


@bp.post("/<uuid:coupon_id>/active")
@requires("shop.settings")
def coupon_active(coupon_id: UUID) -> ResponseReturnValue:
    """Stop a coupon being used, or allow it again (repeating changes nothing)."""
    return coupon_active_switch(
        get_or_404(editing.get_shop_coupon, coupon_id),
        noun="Coupon",
        back_to=url_for("coupons_admin.coupons"),
    )
