"""The operator console at /admin: overview, shops and their life cycle, settings, audit log.

Every route is for operators only. Actions validate a form, call one service,
commit, flash and redirect; a refused change shows its message with a 4xx.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.console import audit as audit_log
from mall.console import forms, services
from mall.console.services import ConsoleError
from mall.console.stats import overview_stats
from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger.commission import shop_rate
from mall.ledger.commission_admin import shop_rates_of
from mall.money import format_money
from mall.pagination import page_number
from tenants.audit import request_actor
from tenants.keys.masking import mask_email
from tenants.models import Tenant

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates")


def _shop_page(shop: Tenant, status: int = 200, **context: Any) -> ResponseReturnValue:
    context.setdefault("suspend_form", forms.SuspendForm(formdata=None))
    context.setdefault(
        "commission_form",
        forms.CommissionForm(formdata=None, percent=_percent(shop_rate(shop.id).rate_bp)),
    )
    return render_template(
        "console/shop.html",
        shop=shop,
        owners=services.shop_owners(shop),
        preview=services.shop_preview(shop),
        events=audit_log.shop_audit(shop),
        action_form=forms.ActionForm(),
        mask_email=mask_email,
        format_money=format_money,
        percent=_percent,
        commission=shop_rate(shop.id),
        **context,
    ), status


def _percent(rate_bp: int) -> str:
    """1250 -> "12.5": the rate as the operator types it."""
    whole, cents = divmod(rate_bp, 100)
    return f"{whole}.{cents:02d}".rstrip("0").rstrip(".") if cents else str(whole)


def _refused(shop: Tenant, error: ConsoleError, **context: Any) -> ResponseReturnValue:
    db.session.rollback()
    db.session.refresh(shop)
    return _shop_page(shop, 409, error=str(error), **context)


@bp.get("/")
@operator_required
def overview() -> ResponseReturnValue:
    """Shops by status and sign-ups per day (a chart, and the same numbers as a table)."""
    stats = overview_stats()
    # The chart reads this JSON from its canvas (the CSP allows no inline script).
    series = {
        "labels": [day.isoformat() for day in stats.days],
        "datasets": [
            {"label": "New users", "data": stats.new_users},
            {"label": "New shops", "data": stats.new_shops},
        ],
    }
    return render_template("console/overview.html", stats=stats, series=series)


@bp.get("/shops")
@operator_required
def shops() -> ResponseReturnValue:
    """Every shop, filtered by status and searched by name or address."""
    status = request.args.get("status", "all")
    if status not in services.STATUS_FILTERS:
        status = "all"
    query = (request.args.get("q") or "").strip()[:100]
    number = page_number(request.args.get("page"))
    page = services.list_shops(status=status, query=query, page=number)
    return render_template(
        "console/shops.html",
        page=page,
        rates=shop_rates_of([shop.id for shop in page.items]),
        status=status,
        query=query,
        statuses=services.STATUS_FILTERS,
    )


@bp.get("/shops/<uuid:shop_id>")
@operator_required
def shop(shop_id: UUID) -> ResponseReturnValue:
    """One shop: what it prepared (description, logo, products), status, commission,
    owners (masked), recent audit events, actions."""
    return _shop_page(get_or_404(services.get_shop, shop_id))


def _act(
    shop: Tenant,
    run: Callable[[], bool],
    *,
    done: str,
    unchanged: str,
    **form_in_use: Any,
) -> ResponseReturnValue:
    """Run one console action: commit and say what happened, or show why it was refused."""
    try:
        changed = run()
    except ConsoleError as error:
        return _refused(shop, error, **form_in_use)
    db.session.commit()
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(url_for("console.shop", shop_id=shop.id), 303)


def _confirmed_shop(shop_id: UUID) -> Tenant:
    """The shop of an action that takes no input but the CSRF token."""
    shop = get_or_404(services.get_shop, shop_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return shop


@bp.post("/shops/<uuid:shop_id>/approve")
@operator_required
def approve(shop_id: UUID) -> ResponseReturnValue:
    """Open a pending shop (its owners are emailed)."""
    shop = _confirmed_shop(shop_id)
    return _act(
        shop,
        lambda: services.approve(shop, **request_actor()),
        done=f"{shop.name} is approved and open; its owners are being emailed.",
        unchanged=f"{shop.name} is already active: nothing changed.",
    )


@bp.post("/shops/<uuid:shop_id>/suspend")
@operator_required
def suspend(shop_id: UUID) -> ResponseReturnValue:
    """Suspend an active shop for a reason the owners are told."""
    shop = get_or_404(services.get_shop, shop_id)
    form = forms.SuspendForm()
    if not form.validate_on_submit():
        return _shop_page(shop, 400, suspend_form=form)
    return _act(
        shop,
        lambda: services.suspend(shop, reason=form.reason.data, **request_actor()),
        done=f"{shop.name} is suspended; its owners are being told why.",
        unchanged=f"{shop.name} is already suspended: nothing changed.",
        suspend_form=form,
    )


@bp.post("/shops/<uuid:shop_id>/reactivate")
@operator_required
def reactivate(shop_id: UUID) -> ResponseReturnValue:
    """Lift a suspension."""
    shop = _confirmed_shop(shop_id)
    return _act(
        shop,
        lambda: services.reactivate(shop, **request_actor()),
        done=f"{shop.name} is active again.",
        unchanged=f"{shop.name} is already active: nothing changed.",
    )


@bp.post("/shops/<uuid:shop_id>/commission")
@operator_required
def commission(shop_id: UUID) -> ResponseReturnValue:
    """Set the shop's commission rate from a percentage (up to 2 decimals)."""
    shop = get_or_404(services.get_shop, shop_id)
    form = forms.CommissionForm()
    if not form.validate_on_submit():
        return _shop_page(shop, 400, commission_form=form)
    rate = _percent(form.rate_bp)
    return _act(
        shop,
        lambda: services.set_commission(shop, rate_bp=form.rate_bp, **request_actor()),
        done=f"{shop.name}'s commission is now {rate}%.",
        unchanged=f"{shop.name}'s commission already is {rate}%: nothing changed.",
        commission_form=form,
    )


@bp.route("/shops/<uuid:shop_id>/close", methods=["GET", "POST"])
@operator_required
def close(shop_id: UUID) -> ResponseReturnValue:
    """Confirm by typing the slug, then close; the data is shredded after the grace period."""
    shop = get_or_404(services.get_shop, shop_id)
    form = forms.CloseForm()
    if form.validate_on_submit():
        try:
            changed = services.close(shop, confirm_slug=form.confirm_slug.data, **request_actor())
        except ConsoleError as error:
            db.session.rollback()
            form.confirm_slug.errors.append(str(error))
        else:
            db.session.commit()
            when = shop.shred_after.strftime("%d %B %Y") if shop.shred_after else "—"
            if changed:
                flash(f"{shop.name} is closed. Its data will be erased on {when}.", "success")
            else:
                flash(f"{shop.name} was already closed: nothing changed.", "info")
            return redirect(url_for("console.shop", shop_id=shop.id), 303)
    return render_template(
        "console/close.html",
        shop=shop,
        form=form,
        shred_date=services.shred_date_if_closed_now(),
        grace_days=services.shred_grace_days(),
    ), 400 if form.errors else 200


@bp.route("/settings", methods=["GET", "POST"])
@operator_required
def settings() -> ResponseReturnValue:
    """Auto-approval of new shops and the grace period before a closed shop is shredded."""
    current = services.current_settings()
    form = forms.SettingsForm(
        auto_approve_shops=current.auto_approve_shops, shred_grace_days=current.shred_grace_days
    )
    if form.validate_on_submit():
        try:
            changed = services.update_settings(
                auto_approve_shops=form.auto_approve_shops.data,
                shred_grace_days=form.shred_grace_days.data,
                **request_actor(),
            )
        except ConsoleError as error:
            db.session.rollback()
            form.shred_grace_days.errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                flash("Settings saved.", "success")
            else:
                flash("The settings already were so: nothing changed.", "info")
            return redirect(url_for("console.settings"), 303)
    return render_template("console/settings.html", form=form), 400 if form.errors else 200


@bp.get("/audit")
@operator_required
def audit() -> ResponseReturnValue:
    """The audit log, newest first, with masked actors and IPs."""
    page = audit_log.list_audit(page=page_number(request.args.get("page")))
    return render_template("console/audit.html", page=page)
