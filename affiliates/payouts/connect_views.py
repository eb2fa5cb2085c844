"""The affiliate's Stripe onboarding (blueprint ``affiliates_stripe``): connect (POST), and the
two addresses Stripe sends the person back to, a new link (``refresh``) and the return, where
Mall asks Stripe what the account can do now.

Like the affiliate's own page, nothing here takes an affiliate id: each person reaches only
their own row.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from affiliates.applications.forms import ActionForm
from affiliates.applications.services import get_affiliate_of
from affiliates.errors import AffiliateError
from affiliates.payouts import connect
from mall.extensions import db
from mall.urls import external_url

bp = Blueprint("affiliates_stripe", __name__, url_prefix="/affiliates/home/stripe")

HOME = "affiliates.home"


def _to_stripe(*, ip_address: str | None) -> ResponseReturnValue:
    """A fresh onboarding link for the signed-in affiliate, or back home saying why not."""
    mine = get_affiliate_of(current_user)
    if mine is None:
        flash("Apply to the program first.", "info")
        return redirect(url_for("affiliates.apply"), 303)
    try:
        url = connect.start_onboarding(
            mine,
            refresh_url=external_url("affiliates_stripe.refresh"),
            return_url=external_url("affiliates_stripe.back"),
            ip_address=ip_address,
        )
    except connect.OnboardingLinkFailed as refused:
        db.session.commit()  # the account Stripe made is kept: the next click reuses it
        flash(str(refused), "error")
        return redirect(url_for(HOME), 303)
    except AffiliateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(HOME), 303)
    db.session.commit()
    return redirect(url, 303)


@bp.post("")
@login_required
def start() -> ResponseReturnValue:
    """Make the affiliate's Stripe account (once) and send them to Stripe's onboarding."""
    if not ActionForm().validate_on_submit():
        flash("The form expired: please try again.", "warning")
        return redirect(url_for(HOME), 303)
    return _to_stripe(ip_address=request.remote_addr)


@bp.get("/refresh")
@login_required
def refresh() -> ResponseReturnValue:
    """Stripe's ``refresh_url``: the link expired or was used; a new one to the same account."""
    mine = get_affiliate_of(current_user)
    if mine is None or not mine.stripe_account_id:
        flash("Connect a Stripe account from your affiliate page.", "info")
        return redirect(url_for(HOME), 303)
    return _to_stripe(ip_address=request.remote_addr)


@bp.get("/return")
@login_required
def back() -> ResponseReturnValue:
    """Stripe's ``return_url``: ask Stripe what the account can do now, and say it."""
    mine = get_affiliate_of(current_user)
    if mine is None or not mine.stripe_account_id:
        return redirect(url_for(HOME), 303)
    if not connect.sync_stripe_account(mine):
        db.session.rollback()
        flash(
            "We could not hear from Stripe just now: this page updates when Stripe tells us.",
            "warning",
        )
        return redirect(url_for(HOME), 303)
    db.session.commit()
    status = connect.stripe_status(mine)
    if status.active:
        flash("Stripe account connected — transfers active.", "success")
    else:
        flash(f"Your Stripe account is not ready for transfers yet: {status.waiting}.", "info")
    return redirect(url_for(HOME), 303)
