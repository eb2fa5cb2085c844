"""The operator's money checks at /admin/money (blueprint ``money_console``): disputes, the
unattributed refunds queue, the reconciliation and manual adjustments. Operators only.

Pages show amounts, order numbers, shop names and provider ids, never a
customer's personal data (a shop's dispute evidence included: the operator sees
that it was given and forwards it, not what it says). Actions validate a form,
call one service, commit, flash and redirect (303); bad input re-renders with
its message (422), a refused action with 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger import adjustments, disputes, fees, reconciliation, services, unattributed
from mall.ledger import dispute_evidence as evidence
from mall.ledger.console_views import TEMPLATES
from mall.ledger.errors import LedgerError
from mall.ledger.models import Dispute, UnattributedRefund
from mall.ledger.money_forms import ActionForm, AdjustmentForm, FeePolicyForm, parse_parts
from mall.money import MoneyError, format_money, to_decimal_text
from mall.pagination import page_number
from tenants.audit import request_actor

bp = Blueprint("money_console", __name__, url_prefix="/admin/money", template_folder=TEMPLATES)

ACTIVE = "money_console.disputes"  # the console's tab for every page here


@bp.context_processor
def money_helpers() -> dict[str, Any]:
    return {
        "format_money": format_money,
        "status_label": lambda status: disputes.STATUS_LABELS.get(status, str(status)),
        "OPEN": disputes.OPEN,
        "active": ACTIVE,
    }


def _page_arg() -> int:
    return page_number(request.args.get("page"))


# ---------------------------------------------------------------- disputes


@bp.get("/disputes", endpoint="disputes")
@operator_required
def disputes_page() -> ResponseReturnValue:
    """Every dispute, newest first (open ones only with ``?open=1``)."""
    open_only = request.args.get("open") == "1"
    listing = evidence.dispute_list(open_only=open_only, page=_page_arg())
    return render_template(
        "ledger/console/money_disputes.html", page=listing, open_only=open_only, section="disputes"
    )


@bp.get("/disputes/<uuid:dispute_id>")
@operator_required
def dispute(dispute_id: UUID) -> ResponseReturnValue:
    """One dispute: its shares per shop order, whether each shop gave evidence."""
    found = get_or_404(disputes.get_dispute, dispute_id)
    return _dispute_page(found)


def _dispute_page(found: Dispute, status: int = 200) -> ResponseReturnValue:
    shares = disputes.shares_of(found)
    return render_template(
        "ledger/console/money_dispute.html",
        dispute=found,
        shares=shares,
        names=evidence.shop_names(shares),
        action=ActionForm(),
        section="disputes",
    ), status


@bp.post("/disputes/<uuid:dispute_id>/send")
@operator_required
def send_evidence(dispute_id: UUID) -> ResponseReturnValue:
    """Send the shops' evidence to Stripe and submit it (once)."""
    found = get_or_404(disputes.get_dispute, dispute_id)
    back = url_for("money_console.dispute", dispute_id=dispute_id)
    if not ActionForm().validate():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(back, 303)
    try:
        sent = evidence.send_evidence(found, **request_actor())
    except LedgerError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _dispute_page(get_or_404(disputes.get_dispute, dispute_id), 409)
    db.session.commit()
    if sent:
        flash("The evidence was sent to Stripe and submitted.", "success")
    else:
        flash("The evidence was already sent: nothing changed.", "info")
    return redirect(back, 303)


# ---------------------------------------------------------------- unattributed refunds


@bp.get("/unattributed")
@operator_required
def unattributed_refunds() -> ResponseReturnValue:
    """Refunds made on the provider's dashboard that wait to be assigned (payouts wait too)."""
    listing = unattributed.open_refunds(page=_page_arg())
    options = unattributed.candidates_by_checkout([row.checkout_id for row in listing.items])
    return render_template(
        "ledger/console/money_unattributed.html",
        page=listing,
        options=options,
        section="unattributed",
    )


@bp.get("/unattributed/<uuid:refund_id>")
@operator_required
def assign_page(refund_id: UUID) -> ResponseReturnValue:
    """Assign a refund: the amount each of the checkout's orders takes (a split suggested)."""
    row = get_or_404(unattributed.get_unattributed, refund_id)
    return _assign_page(row)


def _assign_page(
    row: UnattributedRefund, typed: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    options = unattributed.candidates(row)
    if typed is None:
        suggested = unattributed.suggested_split(row, options)
        typed = {f"part-{order_id.hex}": to_decimal_text(v) for order_id, v in suggested.items()}
    return render_template(
        "ledger/console/money_assign.html",
        row=row,
        options=options,
        typed=typed,
        action=ActionForm(),
        section="unattributed",
    ), status


@bp.post("/unattributed/<uuid:refund_id>")
@operator_required
def assign(refund_id: UUID) -> ResponseReturnValue:
    """Record the refund on the chosen orders, once."""
    row = get_or_404(unattributed.get_unattributed, refund_id)
    typed = {key: value for key, value in request.form.items() if key.startswith("part-")}
    if not ActionForm().validate():
        flash("The form expired: reload the page and try again.", "error")
        return _assign_page(row, typed, 422)
    try:
        parts = parse_parts(request.form)
        done = unattributed.assign(row, parts, **request_actor())
    except (MoneyError, LedgerError) as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _assign_page(get_or_404(unattributed.get_unattributed, refund_id), typed, 422)
    db.session.commit()
    if done:
        flash(f"The refund of {format_money(row.amount)} is assigned.", "success")
    else:
        flash("This refund was already assigned: nothing changed.", "info")
    return redirect(url_for("money_console.unattributed_refunds"), 303)


# ---------------------------------------------------------------- reconciliation


@bp.get("/reconciliation")
@operator_required
def reconciliation_page() -> ResponseReturnValue:
    """The last run and its differences."""
    run = reconciliation.last_run()
    listing = reconciliation.differences(run, page=_page_arg()) if run else None
    return render_template(
        "ledger/console/money_reconciliation.html",
        run=run,
        page=listing,
        action=ActionForm(),
        section="reconciliation",
    )


@bp.post("/verify")
@operator_required
def verify_ledger() -> ResponseReturnValue:
    """Verify the ledger's chain and balances now (a job, after this request)."""
    if ActionForm().validate():
        services.request_verification()
        db.session.commit()
        flash("The ledger is being verified: reload in a moment to see the result.", "success")
    else:
        flash("The form expired: reload the page and try again.", "error")
    return redirect(url_for("money_console.reconciliation_page"), 303)


@bp.post("/reconciliation/run")
@operator_required
def run_reconciliation() -> ResponseReturnValue:
    """Run a reconciliation now (a job, after this request)."""
    if ActionForm().validate():
        reconciliation.request_run()
        db.session.commit()
        flash("A reconciliation is running: reload in a moment to see it.", "success")
    else:
        flash("The form expired: reload the page and try again.", "error")
    return redirect(url_for("money_console.reconciliation_page"), 303)


# ---------------------------------------------------------------- adjustments


@bp.route("/adjustments", methods=["GET", "POST"])
@operator_required
def adjustments_page() -> ResponseReturnValue:
    """Credit or debit a shop's available balance, with a reason (audited)."""
    if request.method == "GET":
        return _adjustments_page(AdjustmentForm.fresh(shop=request.args.get("shop", "")[:63]))
    form = AdjustmentForm()
    if not form.validate():
        return _adjustments_page(form, 422)
    shop = adjustments.find_shop(form.shop.data)
    if shop is None:
        form.shop.errors = ["No shop has this address."]
        return _adjustments_page(form, 422)
    try:
        _, posted = adjustments.adjust(
            shop,
            amount=form.signed_amount,
            reason=form.reason.data,
            key=form.key.data,
            **request_actor(),
        )
    except LedgerError as refused:
        db.session.rollback()
        form.reason.errors = [str(refused)]
        return _adjustments_page(form, 409)
    db.session.commit()
    if posted:
        flash(f"{shop.name}: adjustment of {format_money(form.signed_amount)} posted.", "success")
    else:
        flash("This adjustment was already posted: nothing changed.", "info")
    return redirect(url_for("money_console.adjustments_page"), 303)


def _adjustments_page(form: AdjustmentForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "ledger/console/money_adjustments.html",
        form=form,
        page=adjustments.recent_adjustments(page=_page_arg()),
        section="adjustments",
    ), status


# ---------------------------------------------------------------- the refund fee policy


@bp.route("/fees", methods=["GET", "POST"])
@operator_required
def fees_page() -> ResponseReturnValue:
    """Who bears Stripe's fee on refunded money: the platform or the shop (audited)."""
    if request.method == "GET":
        return _fees_page(FeePolicyForm(formdata=None, bearer=fees.refund_fee_bearer()))
    form = FeePolicyForm()
    if not form.validate():
        return _fees_page(form, 422)
    changed = fees.set_refund_fee_bearer(form.bearer.data, **request_actor())
    db.session.commit()
    if changed:
        flash("Saved: it applies to refunds from now on.", "success")
    else:
        flash("The policy already was so: nothing changed.", "info")
    return redirect(url_for("money_console.fees_page"), 303)


def _fees_page(form: FeePolicyForm, status: int = 200) -> ResponseReturnValue:
    return render_template("ledger/console/money_fees.html", form=form, section="fees"), status
