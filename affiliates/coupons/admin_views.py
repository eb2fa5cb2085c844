"""A shop's affiliate coupons, /shop/<slug>/admin/affiliates/coupons (blueprint
``affiliate_coupons_admin``), owners and managers (``shop.settings``): the shop's coupons
with the affiliate each is linked to, a form linking a coupon to an eligible affiliate by
code, and "Unlink". Bad input re-renders with its message (400 or 409); another shop's
coupon answers 404; linking or unlinking twice changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.coupons import services
from affiliates.coupons.forms import ConfirmForm, LinkForm
from affiliates.errors import AffiliateError
from mall.extensions import db
from mall.pagination import page_number
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.audit import request_actor
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "affiliate_coupons_admin",
    __name__,
    admin=True,
    url_prefix="/admin/affiliates/coupons",
    template_folder="../templates",
)


@bp.context_processor
def coupon_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop")}


def _page(
    form: LinkForm | None = None, *, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    page, rows = services.shop_coupons(page=page_number(request.args.get("page")))
    return (
        render_template(
            "affiliates/coupons/shop.html",
            page=page,
            rows=rows,
            form=form or LinkForm(formdata=None),
            confirm=ConfirmForm(formdata=None),
            notice=notice,
        ),
        status,
    )


@bp.get("/")
@requires("shop.settings")
def coupons() -> ResponseReturnValue:
    """The shop's coupons and their affiliates, and the link form."""
    return _page()


@bp.post("/")
@requires("shop.settings")
def link() -> ResponseReturnValue:
    """Link a coupon to an affiliate eligible for the shop."""
    form = LinkForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        changed = services.link_shop_coupon(
            form.coupon_code.data,
            affiliate_code=form.affiliate_code.data,
            actor_id=request_actor()["actor_id"],
        )
    except AffiliateError as refused:
        db.session.rollback()
        return _page(form, notice=str(refused), status=409)
    db.session.commit()
    flash(
        "Coupon linked: its sales now earn the affiliate a commission."
        if changed
        else "The coupon was linked to this affiliate already.",
        "success" if changed else "info",
    )
    return redirect(url_for(".coupons"), 303)


@bp.post("/<uuid:coupon_id>/unlink")
@requires("shop.settings")
def unlink(coupon_id: UUID) -> ResponseReturnValue:
    """The coupon's sales earn no affiliate any more."""
    if not ConfirmForm().validate_on_submit():
        return _page(notice="The form expired: reload the page and try again.", status=400)
    changed = services.unlink_shop_coupon(coupon_id, actor_id=request_actor()["actor_id"])
    if changed is None:
        abort(404)
    db.session.commit()
    flash("Coupon unlinked." if changed else "The coupon was not linked.", "info")
    return redirect(url_for(".coupons"), 303)
