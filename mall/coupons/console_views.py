"""Operators manage the mall's coupons at /admin/coupons (blueprint ``coupons_console``).

Mall coupons are funded by the platform and apply to every shop's lines (perhaps only
some categories). Every route is for operators only; bad input re-renders the form with
its messages and a 400, and nothing is saved.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.accounts.auth import operator_required
from mall.coupons import editing, forms
from mall.coupons.form_flow import coupon_active_switch, coupon_form_round_trip
from mall.coupons.models import MallCoupon
from mall.db import utcnow
from mall.errors import get_or_404
from mall.money import format_money
from mall.pagination import page_number

bp = Blueprint(
    "coupons_console", __name__, url_prefix="/admin/coupons", template_folder="templates"
)

PER_PAGE = 25


@bp.context_processor
def coupon_helpers() -> dict[str, Any]:
    """What the pages use."""
    return {"format_money": format_money, "percent_text": forms.percent_text, "now": utcnow()}


@bp.get("/")
@operator_required
def coupons() -> ResponseReturnValue:
    """The mall's coupons with their use counts."""
    page = editing.mall_coupon_list(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template(
        "coupons/console_list.html", page=page, active_form=forms.ActiveForm(formdata=None)
    )


@bp.route("/new", methods=["GET", "POST"])
@operator_required
def new_coupon() -> ResponseReturnValue:
    """Add a coupon the platform funds."""
    return _coupon_form(None)


@bp.route("/<uuid:mall_coupon_id>", methods=["GET", "POST"])
@operator_required
def edit_coupon(mall_coupon_id: UUID) -> ResponseReturnValue:
    """Change a mall coupon (its count of uses stays)."""
    return _coupon_form(get_or_404(editing.get_mall_coupon, mall_coupon_id))


def _coupon_form(coupon: MallCoupon | None) -> ResponseReturnValue:
    return coupon_form_round_trip(
        forms.CouponForm(),
        coupon,
        template="coupons/console_form.html",
        create=lambda data: editing.create_mall_coupon(data, actor_id=current_user.id),
        update=editing.update_mall_coupon,
        noun="Mall coupon",
        back_to=url_for("coupons_console.coupons"),
    )


@bp.post("/<uuid:mall_coupon_id>/active")
@operator_required
def coupon_active(mall_coupon_id: UUID) -> ResponseReturnValue:
    """Stop a mall coupon being used, or allow it again (repeating changes nothing)."""
    return coupon_active_switch(
        get_or_404(editing.get_mall_coupon, mall_coupon_id),
        noun="Mall coupon",
        back_to=url_for("coupons_console.coupons"),
    )
