"""The operator's affiliate coupons, /admin/affiliates/coupons (blueprint
``affiliate_coupons_console``), operators only: the mall's coupons with their affiliates,
a form linking a mall coupon to an approved affiliate by code, and "Unlink". Bad input
re-renders with its message (400 or 409); linking or unlinking twice changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.coupons import services
from affiliates.coupons.forms import ConfirmForm, LinkForm
from affiliates.errors import AffiliateError
from mall.accounts.auth import operator_required
from mall.extensions import db
from mall.pagination import page_number
from tenants.audit import request_actor

bp = Blueprint(
    "affiliate_coupons_console",
    __name__,
    url_prefix="/admin/affiliates/coupons",
    template_folder="../templates",
)

PRIVATE = {"Cache-Control": "private, no-store"}


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"active": "affiliate_coupons_console.index"}


def _page(
    form: LinkForm | None = None, *, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    page, rows = services.mall_coupons(page=page_number(request.args.get("page")))
    return (
        render_template(
            "affiliates/coupons/console.html",
            page=page,
            rows=rows,
            form=form or LinkForm(formdata=None),
            confirm=ConfirmForm(formdata=None),
            notice=notice,
        ),
        status,
        PRIVATE,
    )


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """The mall's coupons and their affiliates, and the link form."""
    return _page()


@bp.post("/")
@operator_required
def link() -> ResponseReturnValue:
    """Link a mall coupon to an approved affiliate."""
    form = LinkForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        changed = services.link_mall_coupon(
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
    return redirect(url_for(".index"), 303)


@bp.post("/<uuid:mall_coupon_id>/unlink")
@operator_required
def unlink(mall_coupon_id: UUID) -> ResponseReturnValue:
    """The mall coupon's sales earn no affiliate any more."""
    if not ConfirmForm().validate_on_submit():
        return _page(notice="The form expired: reload the page and try again.", status=400)
    changed = services.unlink_mall_coupon(mall_coupon_id, actor_id=request_actor()["actor_id"])
    if changed is None:
        abort(404)
    db.session.commit()
    flash("Coupon unlinked." if changed else "The coupon was not linked.", "info")
    return redirect(url_for(".index"), 303)
