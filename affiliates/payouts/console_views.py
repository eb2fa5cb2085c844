"""The operator's affiliate payouts at /admin/affiliates/payouts (blueprint
``affiliate_payouts_console``), operators only: who is payable now, "Make a payout batch",
the batches, a batch's page with its PayPal CSV, "Mark the PayPal payouts paid", and a
payout's "failed" or (one left out of the CSV: the affiliate deleted their account) "paid".
Actions validate a form, call one service, commit, flash and redirect (303); an expired
form re-renders with 400, a refusal with 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.errors import AffiliateError
from affiliates.models import AffiliatePayoutStatus, BatchStatus, PayoutMethod
from affiliates.payouts import forms, queries, services
from affiliates.payouts.entries import reference
from affiliates.programs.settings import program_settings
from mall.accounts.auth import operator_required
from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.pagination import page_number
from tenants.audit import request_actor

bp = Blueprint(
    "affiliate_payouts_console",
    __name__,
    url_prefix="/admin/affiliates/payouts",
    template_folder="../templates",
)

PRIVATE = {"Cache-Control": "private, no-store"}
TEMPLATES = "affiliates/payouts/console"
SHOWN = 200  # payable affiliates listed on the page (the totals count all of them)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "format_money": format_money,
        "reference": reference,
        "PayoutMethod": PayoutMethod,
        "PayoutStatus": AffiliatePayoutStatus,
        "BatchStatus": BatchStatus,
        "active": "affiliate_payouts_console.index",
    }


def _index(
    form: forms.MakeBatchForm | None = None, *, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    payable = queries.payable_affiliates()
    ready = [row for row in payable if row.method is not None]
    return (
        render_template(
            f"{TEMPLATES}/index.html",
            payable=payable[:SHOWN],
            shown=SHOWN,
            count=len(payable),
            ready_total=sum(row.amount for row in ready),
            ready_count=len(ready),
            minimum=program_settings().min_payout,
            form=form or forms.MakeBatchForm.fresh(),
            batches=queries.batch_list(page=page_number(request.args.get("page"))),
            notice=notice,
        ),
        status,
        PRIVATE,
    )


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """Who is payable now (approved balance at or above the minimum), and the batches."""
    return _index()


@bp.post("/")
@operator_required
def make_batch() -> ResponseReturnValue:
    """Make a payout batch (once per form): Stripe transfers go out, PayPal payouts wait in
    the batch's CSV."""
    form = forms.MakeBatchForm()
    if not form.validate_on_submit():
        return _index(notice="The form expired: reload the page and try again.", status=400)
    try:
        result = services.make_batch(batch_key=form.batch_key.data, **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        return _index(notice=str(refused), status=409)
    db.session.commit()
    if result.made:
        made = queries.batch_payouts(result.batch)
        flash(batch_made_message(result.batch.total, made), "success")
    else:
        flash("This batch was made already: nothing changed.", "info")
    return redirect(url_for(".batch", batch_id=result.batch.id), 303)


def _count(n: int, one: str) -> str:
    return f"{n} {one}{'' if n == 1 else 's'}"


def batch_made_message(total: int, rows: list[tuple[Any, Any]]) -> str:
    """What a new batch holds, by how each part is paid: only the methods it holds."""
    parts = [f"Payout batch made: {format_money(total)} to {_count(len(rows), 'affiliate')}."]
    stripe = [payout.amount for payout, _ in rows if payout.method is PayoutMethod.STRIPE]
    paypal = [payout.amount for payout, _ in rows if payout.method is PayoutMethod.PAYPAL]
    if stripe:
        parts.append(
            f"{_count(len(stripe), 'payout')} by Stripe transfer ({format_money(sum(stripe))}): "
            "sent by Stripe, nothing to do."
        )
    if paypal:
        parts.append(
            f"{_count(len(paypal), 'payout')} in the PayPal CSV ({format_money(sum(paypal))}): "
            "download it, pay it on PayPal, then mark the PayPal payouts paid."
        )
    return " ".join(parts)


def _batch_page(batch: Any, *, notice: str | None = None, status: int = 200) -> ResponseReturnValue:
    rows = queries.batch_payouts(batch)
    waiting = [
        (payout, affiliate)
        for payout, affiliate in rows
        if payout.method is PayoutMethod.PAYPAL
        and payout.status is AffiliatePayoutStatus.IN_TRANSIT
    ]
    return (
        render_template(
            f"{TEMPLATES}/batch.html",
            batch=batch,
            rows=rows,
            paypal_waiting=[p for p, a in waiting if not queries.no_recipient(a)],
            # Not in the CSV: the operator marks each one paid or failed by hand.
            no_recipient={p.id for p, a in waiting if queries.no_recipient(a)},
            has_stripe=any(payout.method is PayoutMethod.STRIPE for payout, _ in rows),
            confirm_form=forms.ConfirmForm(formdata=None),
            notice=notice,
        ),
        status,
        PRIVATE,
    )


@bp.get("/batches/<uuid:batch_id>")
@operator_required
def batch(batch_id: UUID) -> ResponseReturnValue:
    """One batch: its payouts, the PayPal CSV, and what is left to mark."""
    return _batch_page(get_or_404(queries.get_batch, batch_id))


@bp.get("/batches/<uuid:batch_id>/paypal.csv")
@operator_required
def batch_csv(batch_id: UUID) -> ResponseReturnValue:
    """The batch's PayPal payouts still to pay, in PayPal's mass-payment format."""
    found = get_or_404(queries.get_batch, batch_id)
    name = f"affiliate-payouts-{found.created_at:%Y%m%d}-{found.id.hex[-8:]}.csv"
    return Response(
        queries.batch_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE},
    )


@bp.post("/batches/<uuid:batch_id>/paid")
@operator_required
def batch_paid(batch_id: UUID) -> ResponseReturnValue:
    """The operator paid the CSV on PayPal: its payouts are paid (once)."""
    found = get_or_404(queries.get_batch, batch_id)
    if not forms.ConfirmForm().validate_on_submit():
        return _batch_page(
            found, notice="The form expired: reload the page and try again.", status=400
        )
    marked = services.mark_batch_paid(found, **request_actor())
    db.session.commit()
    if marked:
        flash(f"{marked} PayPal payout{'' if marked == 1 else 's'} marked paid.", "success")
    else:
        flash("No PayPal payout of this batch was waiting: nothing changed.", "info")
    return redirect(url_for(".batch", batch_id=found.id), 303)


@bp.post("/<uuid:payout_id>/paid")
@operator_required
def payout_paid(payout_id: UUID) -> ResponseReturnValue:
    """One PayPal payout left out of the CSV was paid on PayPal by hand: it is paid (once)."""
    payout = get_or_404(queries.get_payout, payout_id)
    found = get_or_404(queries.get_batch, payout.batch_id)
    if not forms.ConfirmForm().validate_on_submit():
        return _batch_page(
            found, notice="The form expired: reload the page and try again.", status=400
        )
    try:
        changed = services.mark_payout_paid(payout, **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        return _batch_page(found, notice=str(refused), status=409)
    db.session.commit()
    if changed:
        flash(f"Payout {reference(payout)} marked paid.", "success")
    else:
        flash(f"Payout {reference(payout)} was not waiting: nothing changed.", "info")
    return redirect(url_for(".batch", batch_id=found.id), 303)


@bp.post("/<uuid:payout_id>/failed")
@operator_required
def payout_failed(payout_id: UUID) -> ResponseReturnValue:
    """A PayPal payout was not paid (or came back): the money is the affiliate's again, or the
    shops' when the affiliate deleted their account."""
    payout = get_or_404(queries.get_payout, payout_id)
    found = get_or_404(queries.get_batch, payout.batch_id)
    affiliate = get_or_404(queries.get_affiliate_of, payout)
    form = forms.FailForm()
    if not form.validate_on_submit():
        message = next(iter(form.reason.errors), None) or "The form expired: reload the page."
        return _batch_page(found, notice=message, status=400)
    try:
        changed = services.fail_payout(payout, reason=form.reason.data or "", **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        return _batch_page(found, notice=str(refused), status=409)
    db.session.commit()
    if changed and queries.account_deleted(affiliate):
        flash(
            f"Payout {reference(payout)} marked failed: the affiliate deleted their account, "
            "so its commissions went back to the shops.",
            "success",
        )
    elif changed:
        flash(
            f"Payout {reference(payout)} marked failed: its amount is the affiliate's balance "
            "again and is paid in the next batch.",
            "success",
        )
    else:
        flash(f"Payout {reference(payout)} had failed already: nothing changed.", "info")
    return redirect(url_for(".batch", batch_id=found.id), 303)
