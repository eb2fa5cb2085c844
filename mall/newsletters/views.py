"""Email preferences at /account/emails: ``newsletters`` blueprint.

A signed-in customer turns the mall's newsletter and each shop's (shops they
ordered from or subscribed to) on and off. Nothing is ticked unless they
ticked it. Transactional email (orders, downloads, account) does not depend on
these choices.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mall.extensions import db
from mall.newsletters import services
from mall.newsletters.forms import PreferencesForm

bp = Blueprint("newsletters", __name__, template_folder="templates")


def _shop_ids(values: list[str]) -> set[UUID]:
    ids = set()
    for value in values:
        try:
            ids.add(UUID(hex=value))
        except ValueError:
            continue  # not one of the page's boxes: ignored like any shop not listed
    return ids


@bp.route("/account/emails", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """The customer's newsletters: see and change each opt-in."""
    form = PreferencesForm()
    if form.validate_on_submit():
        services.set_preferences(
            current_user.id,
            email=current_user.email,
            mall=bool(form.mall.data),
            shop_ids=_shop_ids(request.form.getlist("shop")),
        )
        db.session.commit()
        flash("Your email preferences are saved.", "success")
        return redirect(url_for("newsletters.preferences"), 303)
    chosen = services.preferences(current_user.id, email=current_user.email)
    if request.method == "GET":
        form.mall.data = chosen.mall
    return (
        render_template("newsletters/preferences.html", form=form, chosen=chosen),
        400 if form.errors else 200,
        {"Cache-Control": "private, no-store"},
    )
