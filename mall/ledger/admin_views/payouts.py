"""A shop's payout settings and payouts in its back office, /shop/<slug>/admin/payouts.

The settings (the Stripe Connect account id, and asking Stripe again) need
``shop.settings``; a payout's page needs ``payouts.view``. Another shop's payout
id answers 404. Views validate, call one service, commit, flash and redirect.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger import connect, payout_forms
from mall.ledger.admin_views import PAYOUT_LABELS, TEMPLATES, member_can
from mall.ledger.errors import LedgerError
from mall.ledger.forms import ConfirmForm
from mall.ledger.models import Account
from mall.ledger.payouts import get_payout, payout_minimum, reference
from mall.ledger.payouts.balances import owed
from mall.ledger.payouts.queries import SHOWN, payout_items, payout_reversals
from mall.money import format_money
from mall.shops.permissions import requires
from tenants.audit import request_actor
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "payouts_admin", __name__, admin=True, url_prefix="/admin/payouts", template_folder=TEMPLATES
)


@bp.context_processor
def payout_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        # The same words as the Money page's list of payouts, which links here.
        "payout_label": lambda status: PAYOUT_LABELS.get(status, str(status)),
    }


def _settings_page(form: payout_forms.ConnectAccountForm, status: int = 200) -> ResponseReturnValue:
    shop = g.shop
    account = connect.account_of(shop.id)
    return render_template(
        "ledger/admin/payout_settings.html",
        form=form,
        account=account,
        state=connect.payout_state(account),
        balances=_balances(shop.id),
        minimum=payout_minimum(),
        refresh_form=ConfirmForm(formdata=None),
    ), status


def _balances(shop_id: UUID) -> list[tuple[str, int]]:
    found = owed(shop_id, SHOWN)
    return [
        ("Available", found[Account.SHOP_AVAILABLE]),
        ("Pending (holding period)", found[Account.SHOP_PENDING]),
        ("Reserve", found[Account.SHOP_RESERVE]),
        ("Disputed", found[Account.SHOP_DISPUTED]),
        ("On its way", found[Account.PAYOUTS_IN_TRANSIT]),
    ]


@bp.route("", methods=["GET", "POST"])
@requires("shop.settings")
def settings() -> ResponseReturnValue:
    """How the shop is paid: its Stripe Connect account, and what Stripe says of it."""
    if request.method == "GET":
        account = connect.account_of(g.shop.id)
        form = payout_forms.ConnectAccountForm(
            formdata=None, stripe_account_id=(account.stripe_account_id if account else None) or ""
        )
        return _settings_page(form)
    form = payout_forms.ConnectAccountForm()
    if not form.validate():
        return _settings_page(form, 400)
    try:
        changed = connect.set_stripe_account(
            g.shop, account_id=form.stripe_account_id.data or None, **request_actor()
        )
    except LedgerError as refused:
        db.session.rollback()
        form.stripe_account_id.errors = [str(refused)]
        return _settings_page(form, 409)
    db.session.commit()
    if not changed:
        flash("Those are your payout settings already: nothing changed.", "info")
    elif form.stripe_account_id.data:
        flash(
            "Stripe account saved. Mall is asking Stripe whether it can receive transfers.",
            "success",
        )
    else:
        flash("Stripe account removed: the mall pays you by bank transfer.", "success")
    return redirect(url_for("payouts_admin.settings"), 303)


@bp.post("/refresh")
@requires("shop.settings")
def refresh() -> ResponseReturnValue:
    """Ask Stripe again about the shop's account (after finishing Stripe's onboarding)."""
    if not ConfirmForm().validate():
        flash("The form expired: try again.", "error")
        return redirect(url_for("payouts_admin.settings"), 303)
    asked = connect.request_sync(g.shop)
    db.session.commit()
    if asked:
        flash("Mall asked Stripe about your account: reload in a moment.", "success")
    else:
        flash("Add your Stripe account id first.", "info")
    return redirect(url_for("payouts_admin.settings"), 303)


@bp.get("/<uuid:payout_id>")
@requires("payouts.view")
def payout(payout_id: UUID) -> ResponseReturnValue:
    """One payout: what it paid (orders, debts netted), its transfer, what came back."""
    found = get_or_404(get_payout, payout_id)
    return render_template(
        "ledger/admin/payout_settings_payout.html",
        payout=found,
        reference=reference(found),
        items=payout_items(found),
        reversals=payout_reversals(found),
    )
