"""The operator's page of the mall program, /admin/affiliates/settings
(blueprint ``affiliate_program_console``): its rate, the cookie, attribution, holding,
payouts, the second tier and the fraud checks. Operators only.

Bad input, or a value the program refuses, re-renders the form with what was typed
and its message (400); a save redirects (303) with what changed.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from affiliates.errors import AffiliateError
from affiliates.models import RateKind
from affiliates.programs.forms import ProgramSettingsForm
from affiliates.programs.settings import ProgramSettings, holding_floor, program_settings
from affiliates.programs.settings import save_program_settings as save
from mall.accounts.auth import operator_required
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.money import to_decimal_text
from tenants.audit import request_actor

bp = Blueprint(
    "affiliate_program_console",
    __name__,
    url_prefix="/admin/affiliates",
    template_folder="../templates",
)


def _filled(current: ProgramSettings) -> ProgramSettingsForm:
    fixed = current.rate_kind is RateKind.FIXED
    return ProgramSettingsForm(
        formdata=None,
        rate_kind=current.rate_kind.value,
        rate_value=to_decimal_text(current.rate_fixed) if fixed else percent_text(current.rate_bp),
        cookie_days=str(current.cookie_days),
        attribution=current.attribution.value,
        holding_days=str(current.holding_days),
        min_payout=to_decimal_text(current.min_payout),
        tier2_enabled=current.tier2_enabled,
        tier2_percent=percent_text(current.tier2_bp),
        review_above=to_decimal_text(current.review_above) if current.review_above else "",
        burst_clicks=str(current.burst_clicks),
        burst_minutes=str(current.burst_minutes),
    )


def _page(form: ProgramSettingsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "affiliates/programs/console_settings.html",
        form=form,
        settings=program_settings(),
        floor=holding_floor(),
        active="affiliate_program_console.settings",
    ), status


@bp.get("/settings")
@operator_required
def settings() -> ResponseReturnValue:
    """The mall program's settings as they are now."""
    return _page(_filled(program_settings()))


@bp.post("/settings")
@operator_required
def save_settings() -> ResponseReturnValue:
    """Save the mall program's settings (what is already so changes nothing)."""
    form = ProgramSettingsForm()
    if not form.validate():
        return _page(form, 400)
    try:
        changed = save(form.values, **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        form.form_errors.append(str(refused))
        return _page(form, 400)
    db.session.commit()
    if changed:
        flash("Affiliate program saved. It applies to sales from now on.", "success")
    else:
        flash("The affiliate program already was so: nothing changed.", "info")
    return redirect(url_for("affiliate_program_console.settings"), 303)
