"""The program's public pages (blueprint ``affiliates``): what the program is, the
application, and the affiliate's own page with their code, link and payout details.

Nothing here takes an affiliate's id: a person reaches only their own row, through
their account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from affiliates.applications import forms, services
from affiliates.coupons.services import coupons_of
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus
from affiliates.payouts.connect import onboarding_origin, stripe_status
from affiliates.payouts.queries import stripe_ready
from affiliates.programs.forms import ConfirmForm
from affiliates.programs.private import invitations_of
from affiliates.programs.settings import program_settings
from mall.accounts.auth import verified_required
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.money import format_money
from mall.security import policy_with_form_target
from tenants.keys import reveal

bp = Blueprint("affiliates", __name__, url_prefix="/affiliates", template_folder="../templates")

PRIVATE = {"Cache-Control": "private, no-store"}
TEMPLATES = "affiliates/applications"


@bp.get("/")
def program() -> ResponseReturnValue:
    """The program: what an affiliate earns and how; apply (or sign in to apply)."""
    mine = services.get_affiliate_of(current_user) if current_user.is_authenticated else None
    settings = program_settings()
    return render_template(
        f"{TEMPLATES}/program.html",
        settings=settings,
        min_payout=format_money(settings.min_payout),
        tier2=f"{percent_text(settings.tier2_bp)}%",
        mine=mine,
        by=forms.invitation_code(request.args.get("by")),
    )


def _apply_page(
    form: forms.ApplyForm, mine: Affiliate | None, *, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(f"{TEMPLATES}/apply.html", form=form, mine=mine, notice=notice),
        status,
        PRIVATE,
    )


@bp.route("/apply", methods=["GET", "POST"])
@verified_required
def apply() -> ResponseReturnValue:
    """Apply to the program; ``?by=CODE`` fills in the affiliate who invited you."""
    mine = services.get_affiliate_of(current_user)
    if request.method == "GET":
        if mine is not None and mine.status is not AffiliateStatus.REJECTED:
            return redirect(url_for("affiliates.home"))
        form = forms.ApplyForm(formdata=None)
        form.recruited_by_code.data = forms.invitation_code(request.args.get("by"))
        if mine is not None:  # applying again: start from the earlier answers
            form.website.data = reveal(mine, "website")
            form.promotion.data = reveal(mine, "promotion")
            form.payout_method.data = mine.payout_method.value
            form.payout_email.data = reveal(mine, "payout_email")
        return _apply_page(form, mine)
    form = forms.ApplyForm()
    if not form.validate_on_submit():
        return _apply_page(form, mine, status=400)
    try:
        services.apply(
            current_user,
            website=form.website.data or "",
            promotion=form.promotion.data or "",
            payout_method=form.payout_method.data or "",
            payout_email=form.payout_email.data or "",
            recruited_by_code=form.recruited_by_code.data,
        )
    except services.InvalidApplication as refused:
        db.session.rollback()
        form[refused.field].errors = [*form[refused.field].errors, str(refused)]
        return _apply_page(form, mine, status=400)
    except AffiliateError as refused:
        db.session.rollback()
        return _apply_page(form, mine, notice=str(refused), status=409)
    db.session.commit()
    flash("Thank you: your application is with us. We will email you our decision.", "success")
    return redirect(url_for("affiliates.home"), 303)


def _home_page(
    mine: Affiliate | None, form: forms.PayoutForm | None = None, *, status: int = 200
) -> ResponseReturnValue:
    context: dict[str, Any] = {"mine": mine, "form": form}
    if mine is not None:
        if form is None:
            context["form"] = forms.PayoutForm(
                formdata=None,
                payout_method=mine.payout_method.value,
                payout_email=reveal(mine, "payout_email"),
            )
        context["link"] = services.share_link(mine.code) if mine.code else None
        context["recruiter"] = services.codes_of({mine.recruited_by_id}).get(mine.recruited_by_id)
        context["invitations"] = invitations_of(mine)
        context["coupons"] = coupons_of(mine)
        context["answer_form"] = ConfirmForm(formdata=None)
        context["stripe"] = stripe_status(mine) if stripe_ready() else None
        context["stripe_form"] = forms.ActionForm(formdata=None)
    headers = dict(PRIVATE)
    if context.get("stripe") is not None:
        # "Connect" answers with a redirect to Stripe's onboarding, and browsers hold
        # redirects of a form to the page's form-action.
        headers["Content-Security-Policy"] = policy_with_form_target(onboarding_origin())
    return render_template(f"{TEMPLATES}/home.html", **context), status, headers


@bp.get("/home")
@login_required
def home() -> ResponseReturnValue:
    """The affiliate's own page: status, code and link once approved, payout details."""
    return _home_page(services.get_affiliate_of(current_user))


@bp.post("/home/payout")
@login_required
def payout() -> ResponseReturnValue:
    """Change where the affiliate is paid."""
    mine = services.get_affiliate_of(current_user)
    if mine is None:
        flash("Apply to the program first.", "info")
        return redirect(url_for("affiliates.apply"), 303)
    form = forms.PayoutForm()
    if not form.validate_on_submit():
        return _home_page(mine, form, status=400)
    try:
        changed = services.update_payout(
            mine,
            payout_method=form.payout_method.data or "",
            payout_email=form.payout_email.data or "",
            ip_address=request.remote_addr,
        )
    except services.InvalidApplication as refused:
        db.session.rollback()
        form[refused.field].errors = [*form[refused.field].errors, str(refused)]
        return _home_page(mine, form, status=400)
    except AffiliateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("affiliates.home"), 303)
    db.session.commit()
    if changed:
        flash("Your payout details are saved.", "success")
    else:
        flash("Your payout details were already these: nothing changed.", "info")
    return redirect(url_for("affiliates.home"), 303)
