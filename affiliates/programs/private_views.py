"""The affiliate's answer to a shop's private-program invitation (blueprint
``affiliates_private``): accept or decline, from ``/affiliates/home`` (invitations by
code) or from the signed link of an invitation by email (``/affiliates/invitations/join/
<token>``: GET shows it, POST answers; signed out, sign in first and come back).

The person reaches only invitations made to their own affiliate row, or the one their link
names when signed in with the invited address: another's, or an unknown one, is refused
with a message; answering twice changes nothing.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from affiliates.applications.services import get_affiliate_of
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate
from affiliates.programs import invitations
from affiliates.programs import private as services
from affiliates.programs.forms import ConfirmForm
from mall.extensions import db

bp = Blueprint("affiliates_private", __name__, url_prefix="/affiliates/invitations")


def _answer(shop_id: UUID, invitation_id: UUID, *, accept: bool) -> ResponseReturnValue:
    home = redirect(url_for("affiliates.home"), 303)
    if not ConfirmForm().validate():
        flash("The form expired: please try again.", "error")
        return home
    mine = get_affiliate_of(current_user)
    if mine is None:
        flash("Apply to the program first.", "info")
        return home
    try:
        done = services.answer_invitation(
            mine, shop_id=shop_id, invitation_id=invitation_id, accept=accept
        )
    except AffiliateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return home
    db.session.commit()
    if not done:
        flash("You already answered that invitation: nothing changed.", "info")
    elif accept:
        flash("You joined the shop's private program.", "success")
    else:
        flash("Invitation declined.", "success")
    return home


@bp.post("/<uuid:shop_id>/<uuid:invitation_id>/accept")
@login_required
def accept(shop_id: UUID, invitation_id: UUID) -> ResponseReturnValue:
    """Join a shop's private program: its sales through your links earn from now on."""
    return _answer(shop_id, invitation_id, accept=True)


@bp.post("/<uuid:shop_id>/<uuid:invitation_id>/decline")
@login_required
def decline(shop_id: UUID, invitation_id: UUID) -> ResponseReturnValue:
    """Decline a shop's invitation (the shop may invite you again)."""
    return _answer(shop_id, invitation_id, accept=False)


@bp.route("/join/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    """An invitation by email: the shop and the rate it offers; accept or decline."""
    if not current_user.is_authenticated:
        flash("Sign in to answer the invitation; you come back here after.", "info")
        here = url_for("affiliates_private.invitation", token=token)  # a path: ``next`` stays
        return redirect(url_for("accounts.login", next=here))
    mine = get_affiliate_of(current_user)
    form = ConfirmForm()
    if request.method == "GET":
        return _page(token, form, mine)
    answer = request.form.get("answer")
    if not form.validate() or answer not in ("accept", "decline"):
        return _page(token, form, mine, status=400, error="The form expired: please try again.")
    try:
        done, shop_name = invitations.answer_by_link(
            token, user=current_user, affiliate=mine, accept=answer == "accept"
        )
    except invitations.InvitationInvalid as refused:
        db.session.rollback()
        return _invalid(str(refused), 400)
    except invitations.AlreadyMember as refused:
        db.session.rollback()
        return _invalid(str(refused), 409)
    except invitations.NotInvitedAddress:
        db.session.rollback()
        return _page(token, form, mine, status=403)  # the page says where it was sent
    except AffiliateError as refused:
        db.session.rollback()
        return _page(token, form, mine, status=403, error=str(refused))
    db.session.commit()
    if not done:
        flash("You already answered that invitation: nothing changed.", "info")
    elif answer == "accept":
        flash(f"You joined the private program of {shop_name}.", "success")
    else:
        flash("Invitation declined.", "success")
    return redirect(url_for("affiliates.home"), 303)


def _page(
    token: str,
    form: ConfirmForm,
    mine: Affiliate | None,
    *,
    status: int = 200,
    error: str | None = None,
) -> ResponseReturnValue:
    try:
        shown = invitations.open_invitation(token, current_user, mine)
    except invitations.InvitationInvalid as refused:
        return _invalid(str(refused), 400)
    return render_template(
        "affiliates/programs/invitation.html",
        invitation=shown,
        form=form,
        mine=mine,
        error=error,
    ), status


def _invalid(message: str, status: int) -> ResponseReturnValue:
    return render_template("affiliates/programs/invitation_invalid.html", message=message), status
