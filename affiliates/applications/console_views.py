"""The operator's affiliate pages in the console, /admin/affiliates (``affiliates_console``):
applications and affiliates by status or code, and one affiliate's page with approve (with
an optional code), reject (with a note), suspend and reinstate. Operators only.

Each decision validates its form, calls one service, commits, flashes and redirects (303);
a decision already taken changes nothing and says so; a refused one (a stale page, a taken
code) re-renders the page with its message and 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.applications import forms, services
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate
from mall.accounts.auth import operator_required
from mall.errors import get_or_404
from mall.extensions import db
from mall.pagination import decode_position
from tenants.audit import request_actor
from tenants.keys import reveal
from tenants.keys.masking import mask_email

bp = Blueprint(
    "affiliates_console",
    __name__,
    url_prefix="/admin/affiliates",
    template_folder="../templates",
)

PRIVATE = {"Cache-Control": "private, no-store"}
TEMPLATES = "affiliates/applications/console"
STATUS_LABELS = {
    "applied": "Waiting",
    "approved": "Approved",
    "suspended": "Suspended",
    "rejected": "Rejected",
    "all": "All",
}


def _masked_email(account: Any) -> str:
    return mask_email(reveal(account, "email") or "") if account is not None else "(deleted)"


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """Applications and affiliates, newest first: waiting ones unless ``?status=``; ``?code=``
    finds codes starting with it."""
    status = request.args.get("status", "applied")
    if status not in services.STATUS_FILTERS:
        status = "applied"
    code = (request.args.get("code") or "").strip()[:32]
    page = services.affiliate_list(
        status=status,
        code=code,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    accounts = services.accounts_of(page.items)
    return (
        render_template(
            f"{TEMPLATES}/list.html",
            page=page,
            status=status,
            code=code,
            labels=STATUS_LABELS,
            email_of=lambda row: _masked_email(accounts.get(row.user_id)),
            active="affiliates_console.index",
        ),
        200,
        PRIVATE,
    )


def _page(
    affiliate: Affiliate,
    *,
    approve_form: forms.ApproveForm | None = None,
    reject_form: forms.RejectForm | None = None,
    suspend_form: forms.SuspendForm | None = None,
    notice: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    account = services.accounts_of([affiliate]).get(affiliate.user_id)
    return (
        render_template(
            f"{TEMPLATES}/detail.html",
            affiliate=affiliate,
            email=_masked_email(account) if affiliate.user_id else "(account deleted)",
            payout_email=mask_email(reveal(affiliate, "payout_email") or ""),
            recruiter=services.codes_of({affiliate.recruited_by_id}).get(affiliate.recruited_by_id),
            link=services.share_link(affiliate.code) if affiliate.code else None,
            approve_form=approve_form or forms.ApproveForm(formdata=None),
            reject_form=reject_form or forms.RejectForm(formdata=None),
            suspend_form=suspend_form or forms.SuspendForm(formdata=None),
            action_form=forms.ActionForm(formdata=None),
            notice=notice,
            labels=STATUS_LABELS,
            active="affiliates_console.index",
        ),
        status,
        PRIVATE,
    )


@bp.get("/<uuid:affiliate_id>")
@operator_required
def detail(affiliate_id: UUID) -> ResponseReturnValue:
    """One application or affiliate: the answers (the website and how they promote, opened for
    the decision), masked addresses, and the decisions it allows."""
    return _page(get_or_404(services.get_affiliate, affiliate_id))


def _decided(
    changed: bool, affiliate: Affiliate, *, done: str, unchanged: str
) -> ResponseReturnValue:
    db.session.commit()
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(url_for("affiliates_console.detail", affiliate_id=affiliate.id), 303)


def _refused(
    affiliate: Affiliate, refused: AffiliateError, **forms_shown: Any
) -> ResponseReturnValue:
    db.session.rollback()
    return _page(affiliate, notice=str(refused), status=409, **forms_shown)


@bp.post("/<uuid:affiliate_id>/approve")
@operator_required
def approve(affiliate_id: UUID) -> ResponseReturnValue:
    """Approve a waiting application: the operator's code, or a generated one."""
    affiliate = get_or_404(services.get_affiliate, affiliate_id)
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        return _page(affiliate, approve_form=form, status=400)
    try:
        changed = services.approve(affiliate, code=form.code.data, **request_actor())
    except AffiliateError as refused:
        return _refused(affiliate, refused, approve_form=form)
    return _decided(
        changed,
        affiliate,
        done=f"Approved with the code {affiliate.code}: the affiliate is emailed their link.",
        unchanged="This affiliate was already approved: nothing changed.",
    )


@bp.post("/<uuid:affiliate_id>/reject")
@operator_required
def reject(affiliate_id: UUID) -> ResponseReturnValue:
    """Reject a waiting application, with a note the applicant reads."""
    affiliate = get_or_404(services.get_affiliate, affiliate_id)
    form = forms.RejectForm()
    if not form.validate_on_submit():
        return _page(affiliate, reject_form=form, status=400)
    try:
        changed = services.reject(affiliate, note=form.note.data or "", **request_actor())
    except AffiliateError as refused:
        return _refused(affiliate, refused, reject_form=form)
    return _decided(
        changed,
        affiliate,
        done="Rejected: the applicant is emailed your note.",
        unchanged="This application was already rejected: nothing changed.",
    )


@bp.post("/<uuid:affiliate_id>/suspend")
@operator_required
def suspend(affiliate_id: UUID) -> ResponseReturnValue:
    """Suspend an approved affiliate: later sales earn nothing."""
    affiliate = get_or_404(services.get_affiliate, affiliate_id)
    form = forms.SuspendForm()
    if not form.validate_on_submit():
        return _page(affiliate, suspend_form=form, status=400)
    try:
        changed = services.suspend(affiliate, note=form.note.data or "", **request_actor())
    except AffiliateError as refused:
        return _refused(affiliate, refused, suspend_form=form)
    return _decided(
        changed,
        affiliate,
        done="Suspended: sales from now on earn this affiliate nothing.",
        unchanged="This affiliate was already suspended: nothing changed.",
    )


@bp.post("/<uuid:affiliate_id>/reinstate")
@operator_required
def reinstate(affiliate_id: UUID) -> ResponseReturnValue:
    """Lift a suspension."""
    affiliate = get_or_404(services.get_affiliate, affiliate_id)
    if not forms.ActionForm().validate_on_submit():
        return _page(
            affiliate, notice="The form expired: reload the page and try again.", status=400
        )
    try:
        changed = services.reinstate(affiliate, **request_actor())
    except AffiliateError as refused:
        return _refused(affiliate, refused)
    return _decided(
        changed,
        affiliate,
        done="Reinstated: the affiliate earns again with the same code.",
        unchanged="This affiliate was already active: nothing changed.",
    )
