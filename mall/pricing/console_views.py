"""The operator's tax page at /admin/tax: where the platform collects tax as facilitator."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.extensions import db
from mall.pricing import forms, services

bp = Blueprint("pricing_console", __name__, url_prefix="/admin/tax", template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
@operator_required
def facilitators() -> ResponseReturnValue:
    """The countries where the platform, not the shop, collects the tax on orders."""
    form = forms.FacilitatorForm()
    if not form.is_submitted():
        form.countries.data = services.facilitator_countries()
    elif form.validate():
        try:
            changed = services.set_facilitator_countries(list(form.countries.data or []))
        except services.InvalidInput as error:
            db.session.rollback()
            form.countries.errors = [error.errors["countries"]]
        else:
            db.session.commit()
            flash("Saved." if changed else "The countries already were so.", "success")
            return redirect(url_for("pricing_console.facilitators"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("pricing/console_tax.html", form=form), status
