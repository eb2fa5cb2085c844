"""The operator's review of affiliate commissions at /admin/affiliates/reviews (blueprint
``affiliate_reviews_console``), operators only: commissions waiting for review or carrying
flags, across every shop, with Approve and Reject. Actions validate the form, call one
service, commit, flash and redirect (303); an expired form re-renders with 400, a refusal
with 409, an unknown commission answers 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from affiliates.errors import AffiliateError
from affiliates.models import CommissionStatus
from affiliates.reviews import services
from mall.accounts.auth import operator_required
from mall.extensions import db
from mall.money import format_money
from mall.pagination import decode_position
from tenants.audit import request_actor

bp = Blueprint(
    "affiliate_reviews_console",
    __name__,
    url_prefix="/admin/affiliates/reviews",
    template_folder="../templates",
)

PRIVATE = {"Cache-Control": "private, no-store"}


class DecisionForm(FlaskForm):
    """Approve or Reject: a button with only its CSRF token."""


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "format_money": format_money,
        "CommissionStatus": CommissionStatus,
        "active": "affiliate_reviews_console.index",
    }


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """Commissions to review across the shops, newest first."""
    return _index()


def _index(*, notice: str | None = None, status: int = 200) -> ResponseReturnValue:
    page, rows = services.review_page(
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    return (
        render_template(
            "affiliates/reviews/index.html",
            page=page,
            rows=rows,
            form=DecisionForm(formdata=None),
            notice=notice,
        ),
        status,
        PRIVATE,
    )


def _decide(commission_id: UUID, *, approve: bool) -> ResponseReturnValue:
    if not DecisionForm().validate_on_submit():
        return _index(notice="The form expired: reload the page and try again.", status=400)
    try:
        changed = services.decide(
            commission_id, approve=approve, actor_id=request_actor()["actor_id"]
        )
    except AffiliateError as refused:
        db.session.rollback()
        return _index(notice=str(refused), status=409)
    if changed is None:
        abort(404)
    db.session.commit()
    if not changed:
        flash("Nothing changed: the commission was decided already.", "info")
    elif approve:
        flash("Commission approved.", "success")
    else:
        flash("Commission rejected: its amount goes back to the shop.", "success")
    return redirect(url_for(".index"), 303)


@bp.post("/<uuid:commission_id>/approve")
@operator_required
def approve(commission_id: UUID) -> ResponseReturnValue:
    """Approve one commission (clears its review)."""
    return _decide(commission_id, approve=True)


@bp.post("/<uuid:commission_id>/reject")
@operator_required
def reject(commission_id: UUID) -> ResponseReturnValue:
    """Reject one commission not yet paid."""
    return _decide(commission_id, approve=False)
