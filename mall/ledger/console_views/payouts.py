"""The operator's payouts at /admin/payouts (blueprint ``payouts_console``), operators only.

The overview lists what each shop is owed and how it is paid (or why not: blocked
at Stripe, held), the mall-wide settings, the manual batches, and "Run payouts".
A batch's page exports it as CSV and marks it paid; a shop's page sets its
reserve and hold and lists its payouts, where a manual one can be marked
returned (once sent) or taken out of the open batch (not sent yet). Every
action is audited. Actions validate a form, call one service,
commit, flash and redirect (303); bad input re-renders with 400, a refusal 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.console.services import get_shop
from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger import payout_forms, payouts
from mall.ledger.commission import percent_text
from mall.ledger.console_views import TEMPLATES, saved, shop_query
from mall.ledger.errors import LedgerError
from mall.ledger.forms import ConfirmForm
from mall.ledger.models import BatchStatus, PayoutMethod, PayoutStatus
from mall.ledger.payouts import queries
from mall.ledger.release import holding_days
from mall.money import format_money, to_decimal_text
from mall.pagination import page_number
from tenants.audit import request_actor
from tenants.context import tenant_context
from tenants.models import Tenant

bp = Blueprint("payouts_console", __name__, url_prefix="/admin/payouts", template_folder=TEMPLATES)
ACTIVE = "payouts_console.index"


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "format_money": format_money,
        "percent": percent_text,
        "Account": queries.Account,
        "PayoutStatus": PayoutStatus,
        "PayoutMethod": PayoutMethod,
        "BatchStatus": BatchStatus,
        "active": ACTIVE,
    }


# ---------------------------------------------------------------- overview


def _index_page(form: payout_forms.PayoutSettingsForm, status: int = 200) -> ResponseReturnValue:
    query = shop_query()
    return render_template(
        "ledger/console/payouts.html",
        form=form,
        query=query,
        shops=queries.shop_rows(query=query, page=page_number(request.args.get("page"))),
        totals=queries.mall_totals(),
        payable=queries.payable_totals(),
        batches=queries.batches(page=page_number(request.args.get("batches"))),
        run_form=ConfirmForm(formdata=None),
        minimum=payouts.payout_minimum(),
    ), status


@bp.get("")
@operator_required
def index() -> ResponseReturnValue:
    """What every shop is owed and how it is paid; settings; batches; run payouts."""
    form = payout_forms.PayoutSettingsForm(
        formdata=None,
        holding_days=str(holding_days()),
        minimum=to_decimal_text(payouts.payout_minimum()),
    )
    return _index_page(form)


@bp.post("/settings")
@operator_required
def settings() -> ResponseReturnValue:
    """The holding period and the minimum payout."""
    form = payout_forms.PayoutSettingsForm()
    if not form.validate():
        return _index_page(form, 400)
    try:
        changed = payouts.update_payout_settings(
            holding=form.holding, minimum=form.minimum_minor, **request_actor()
        )
    except LedgerError as refused:
        db.session.rollback()
        form.holding_days.errors = [str(refused)]
        return _index_page(form, 409)
    return saved(
        changed,
        done="Payout settings saved.",
        unchanged="The payout settings already were so: nothing changed.",
        endpoint="payouts_console.index",
    )


@bp.post("/run")
@operator_required
def run() -> ResponseReturnValue:
    """Pay every shop owed at least the minimum that can be paid now."""
    if not ConfirmForm().validate():
        abort(400)
    result = payouts.run_payouts(**request_actor())
    db.session.commit()
    if result.released:
        flash(f"{result.released} order(s) whose holding period is over released first.", "info")
    if result.payouts:
        flash(
            f"{result.payouts} payout(s) made, {format_money(result.amount)} in all: "
            f"{result.stripe} by Stripe transfer, {result.manual} in the open manual batch.",
            "success",
        )
    else:
        flash("Nothing to pay: no shop that can be paid is owed the minimum.", "info")
    if result.skipped:
        waiting = ", ".join(f"{count} {why}" for why, count in sorted(result.skipped.items()))
        flash(f"Shops not paid now: {waiting}.", "info")
    return redirect(url_for("payouts_console.index"), 303)


# ---------------------------------------------------------------- batches


@bp.get("/batches/<uuid:batch_id>")
@operator_required
def batch(batch_id: UUID) -> ResponseReturnValue:
    """A manual batch: its payouts, export, mark paid."""
    found = get_or_404(payouts.get_batch, batch_id)
    return render_template(
        "ledger/console/payouts_batch.html",
        batch=found,
        rows=payouts.batch_payouts(found),
        confirm_form=ConfirmForm(formdata=None),
    )


@bp.post("/batches/<uuid:batch_id>/export")
@operator_required
def export(batch_id: UUID) -> ResponseReturnValue:
    """Close the batch for the bank; its page, closed, then links to its CSV."""
    return _batch_action(
        batch_id,
        payouts.export_batch,
        done="The batch is closed: download its CSV, pay it from the bank, then mark it paid.",
        unchanged="The batch was closed already: nothing changed.",
    )


@bp.get("/batches/<uuid:batch_id>/csv")
@operator_required
def batch_csv(batch_id: UUID) -> ResponseReturnValue:
    """The exported batch as CSV (an open batch is exported first, with its button)."""
    found = get_or_404(payouts.get_batch, batch_id)
    if found.status is BatchStatus.OPEN:
        flash("Export the batch first: it closes it, so nothing is added after you pay it.", "info")
        return redirect(url_for("payouts_console.batch", batch_id=batch_id), 303)
    name = f"payouts-{found.created_at:%Y%m%d}-{found.id.hex[-8:]}.csv"
    return Response(
        payouts.batch_csv(found),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/batches/<uuid:batch_id>/paid")
@operator_required
def batch_paid(batch_id: UUID) -> ResponseReturnValue:
    """The operator paid the exported batch from the bank."""
    return _batch_action(
        batch_id,
        payouts.mark_batch_paid,
        done="The batch is marked paid.",
        unchanged="The batch was marked paid already: nothing changed.",
    )


def _batch_action(
    batch_id: UUID, action: Callable[..., bool], *, done: str, unchanged: str
) -> ResponseReturnValue:
    """Validate, run ``action`` on the batch (once), commit, flash, back to its page (303)."""
    found = get_or_404(payouts.get_batch, batch_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        changed = action(found, **request_actor())
    except LedgerError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("payouts_console.batch", batch_id=batch_id), 303)
    return saved(
        changed, done=done, unchanged=unchanged, endpoint="payouts_console.batch", batch_id=batch_id
    )


# ---------------------------------------------------------------- one shop


def _shop_page(shop: Tenant, status: int = 200, **context: Any) -> ResponseReturnValue:
    with tenant_context(shop):
        found = queries.shop_payouts(shop.id, page=page_number(request.args.get("page")))
    account = found.account
    context.setdefault(
        "controls_form",
        payout_forms.ShopControlsForm(
            formdata=None,
            reserve_percent=percent_text(account.reserve_bp)
            if account and account.reserve_bp
            else "",
            reserve_days=str(account.reserve_days) if account and account.reserve_days else "",
            payouts_held=bool(account and account.payouts_held),
            hold_reason=account.hold_reason if account else "",
        ),
    )
    context.setdefault("returned_form", payout_forms.ReturnedForm(formdata=None))
    return render_template(
        "ledger/console/payouts_shop.html",
        shop=shop,
        found=found,
        confirm_form=ConfirmForm(formdata=None),
        reference=payouts.reference,
        **context,
    ), status


@bp.get("/shops/<uuid:shop_id>")
@operator_required
def shop(shop_id: UUID) -> ResponseReturnValue:
    """One shop: balances, how it is paid, reserve and hold, its payouts."""
    return _shop_page(get_or_404(get_shop, shop_id))


@bp.post("/shops/<uuid:shop_id>/controls")
@operator_required
def controls(shop_id: UUID) -> ResponseReturnValue:
    """Set the shop's rolling reserve and hold."""
    found = get_or_404(get_shop, shop_id)
    form = payout_forms.ShopControlsForm()
    if not form.validate():
        return _shop_page(found, 400, controls_form=form)
    try:
        changed = payouts.set_shop_controls(
            found,
            reserve_bp=form.reserve_bp,
            reserve_days=form.days,
            held=form.payouts_held.data,
            hold_reason=form.hold_reason.data or "",
            **request_actor(),
        )
    except LedgerError as refused:
        db.session.rollback()
        form.reserve_percent.errors = [str(refused)]
        return _shop_page(found, 409, controls_form=form)
    return saved(
        changed,
        done=f"Payout controls of {found.name} saved.",
        unchanged="Those are the shop's controls already: nothing changed.",
        endpoint="payouts_console.shop",
        shop_id=shop_id,
    )


@bp.post("/shops/<uuid:shop_id>/payouts/<uuid:payout_id>/returned")
@operator_required
def returned(shop_id: UUID, payout_id: UUID) -> ResponseReturnValue:
    """A manual payout the bank returned (or never paid): its amount is owed again."""
    found = get_or_404(get_shop, shop_id)
    form = payout_forms.ReturnedForm()
    with tenant_context(found):
        payout = get_or_404(payouts.get_payout, payout_id)
        if not form.validate():
            return _shop_page(found, 400, returned_form=form, returned_payout=payout)
        named = payouts.reference(payout)
        try:
            changed = payouts.mark_returned(payout, reason=form.reason.data, **request_actor())
        except LedgerError as refused:
            db.session.rollback()
            return _shop_page(found, 409, returned_payout=payout, refusal=str(refused))
    return saved(
        changed,
        done=f"Payout {named} is marked returned: the shop is owed it again.",
        unchanged="That payout was marked returned already: nothing changed.",
        endpoint="payouts_console.shop",
        shop_id=shop_id,
    )


@bp.post("/shops/<uuid:shop_id>/payouts/<uuid:payout_id>/cancel")
@operator_required
def cancel(shop_id: UUID, payout_id: UUID) -> ResponseReturnValue:
    """Take a manual payout out of the open batch (never sent): its amount is owed again."""
    found = get_or_404(get_shop, shop_id)
    with tenant_context(found):
        payout = get_or_404(payouts.get_payout, payout_id)
        if not ConfirmForm().validate():
            abort(400)
        named = payouts.reference(payout)
        try:
            changed = payouts.cancel_payout(payout, **request_actor())
        except LedgerError as refused:
            db.session.rollback()
            return _shop_page(found, 409, returned_payout=payout, refusal=str(refused))
    return saved(
        changed,
        done=f"Payout {named} is taken out of its batch: the shop's balance has it again.",
        unchanged="That payout was taken out of its batch already: nothing changed.",
        endpoint="payouts_console.shop",
        shop_id=shop_id,
    )
