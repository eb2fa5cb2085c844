"""The operator's payment providers at /admin/payments (blueprint ``payments_console``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.extensions import db
from mall.payments import forms
from mall.payments.errors import PaymentError
from mall.payments.providers import (
    STRIPE,
    TEST,
    enabled_platform_providers,
    is_production,
    set_platform_providers,
    stored_choice,
    stripe_configured,
)

bp = Blueprint(
    "payments_console", __name__, url_prefix="/admin/payments", template_folder="templates"
)


@bp.route("", methods=["GET", "POST"])
@operator_required
def providers() -> ResponseReturnValue:
    """Which platform providers customers are offered (Stripe, test payments)."""
    choice = stored_choice()
    form = forms.ProvidersForm(data=choice if request.method == "GET" else None)
    if request.method == "GET":
        return _page(form)
    if not form.validate():
        return _page(form, 422)
    try:
        set_platform_providers(stripe=form.stripe.data, test=form.test.data)
    except PaymentError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _page(form, 422, refused=str(refused))
    db.session.commit()
    flash("Payment providers saved.", "success")
    return redirect(url_for("payments_console.providers"), 303)


def _page(form: forms.ProvidersForm, status: int = 200, **context: object) -> ResponseReturnValue:
    return render_template(
        "payments/console/providers.html",
        form=form,
        active="payments_console.providers",
        enabled=enabled_platform_providers(),
        stripe_configured=stripe_configured(),
        production=is_production(),
        STRIPE=STRIPE,
        TEST=TEST,
        **context,
    ), status
