"""The affiliate's answer to a shop's private-program invitation (blueprint
``affiliates_private``): accept or decline, from ``/affiliates/home``.

The person reaches only invitations made to their own affiliate row: another's, or an
unknown one, is refused with a message; answering twice changes nothing.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from affiliates.applications.services import get_affiliate_of
from affiliates.errors import AffiliateError
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
