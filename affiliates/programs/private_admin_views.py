"""A shop's private program, /shop/<slug>/admin/affiliates/private (blueprint
``affiliate_private_admin``). Owners and managers (``shop.settings``).

The list of the shop's private affiliates (code or masked invited address, status, own
rate), an invitation by an approved affiliate's code or by email address (and "Send again"
for one not answered yet), a private affiliate's own rate, removal. Another shop's member
id answers 404; repeating an action changes nothing; bad input re-renders with what was
typed and the message beside its field (400).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from affiliates.errors import AffiliateError
from affiliates.models import RateKind, ShopAffiliate
from affiliates.programs import invitations
from affiliates.programs import private as services
from affiliates.programs.admin_views import rate_text
from affiliates.programs.forms import KIND_CHOICES, SHORT, ConfirmForm, parse_rate
from affiliates.programs.terms import get_terms
from mall.catalog.forms import choices
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.money import to_decimal_text
from mall.pagination import page_number
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.audit import request_actor
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "affiliate_private_admin",
    __name__,
    admin=True,
    url_prefix="/admin/affiliates/private",
    template_folder="../templates",
)

PER_PAGE = 25


class InviteForm(FlaskForm):
    """Invite an approved affiliate by their code."""

    code = StringField(
        "Affiliate code",
        validators=[InputRequired("Enter the affiliate's code."), Length(max=32)],
    )


class EmailInviteForm(FlaskForm):
    """Invite a person by email address: they answer through the emailed link."""

    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter the email address to invite."),
            Email("Enter a valid email address."),
            Length(max=254, message="Enter at most 254 characters."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class ResendForm(FlaskForm):
    """ "Send again": the key names the sending the page showed (a replay sends nothing)."""

    key = HiddenField()


class MemberRateForm(FlaskForm):
    """A private affiliate's own rate (empty kind: the shop's rate)."""

    rate_kind = SelectField(
        "They earn",
        choices=choices([("", "The shop's rate"), *KIND_CHOICES]),
        validate_choice=False,
    )
    rate_value = StringField("Their rate", validators=[SHORT])

    values: dict[str, Any]

    def validate(self, extra_validators: Any = None) -> bool:
        """``values``: rate_kind, rate_bp, rate_fixed for ``set_member_rate``."""
        ok = super().validate(extra_validators)
        self.values = {"rate_kind": None, "rate_bp": 0, "rate_fixed": 0}
        if self.rate_kind.data and not self.rate_value.errors:
            try:
                kind, bp_, fixed = parse_rate(
                    self.rate_kind.data, self.rate_value.data, what="their rate"
                )
                self.values = {"rate_kind": kind, "rate_bp": bp_, "rate_fixed": fixed}
            except ValidationError as bad:
                self.rate_value.errors = [*self.rate_value.errors, str(bad)]
                ok = False
        return ok


@bp.context_processor
def private_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop"), "rate_text": rate_text}


def typed_rate(rate: Any) -> tuple[str, str]:
    """(kind, text) a rate is typed as in the rate form: ``("percent", "12.5")``."""
    if rate is None:
        return "", ""
    if rate.kind is RateKind.FIXED:
        return RateKind.FIXED.value, to_decimal_text(rate.fixed)
    return RateKind.PERCENT.value, percent_text(rate.bp)


def _page(
    invite: InviteForm | None = None,
    email_invite: EmailInviteForm | None = None,
    rate_form: MemberRateForm | None = None,
    rate_member: UUID | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    terms = get_terms()
    return render_template(
        "affiliates/programs/private.html",
        invite=invite or InviteForm(formdata=None),
        email_invite=email_invite or EmailInviteForm(formdata=None),
        rate_form=rate_form or MemberRateForm(formdata=None),
        rate_member=rate_member,
        typed_rate=typed_rate,
        confirm_form=ConfirmForm(formdata=None),
        running=terms is not None and terms.private_program,
        listing=services.private_members(
            page=page_number(request.args.get("page")), per_page=PER_PAGE
        ),
    ), status


@bp.get("")
@requires("shop.settings")
def members() -> ResponseReturnValue:
    """The shop's private affiliates and the invitation form."""
    return _page()


@bp.post("/invite")
@requires("shop.settings")
def invite() -> ResponseReturnValue:
    """Invite an approved affiliate by code (inviting them twice changes nothing)."""
    form = InviteForm()
    if not form.validate():
        return _page(invite=form, status=400)
    try:
        changed = services.invite_by_code(
            g.shop, code=form.code.data or "", actor_id=request_actor()["actor_id"]
        )
    except AffiliateError as refused:
        db.session.rollback()
        form.code.errors = [*form.code.errors, str(refused)]
        return _page(invite=form, status=400)
    db.session.commit()
    if changed:
        flash("Invitation sent: it waits on the affiliate's page for their answer.", "success")
    else:
        flash("That affiliate was already invited or in your program: nothing changed.", "info")
    return redirect(url_for("affiliate_private_admin.members"), 303)


@bp.post("/invite-email")
@requires("shop.settings")
def invite_email() -> ResponseReturnValue:
    """Invite a person by email address (an address already invited is not invited twice)."""
    form = EmailInviteForm()
    if not form.validate():
        return _page(email_invite=form, status=400)
    try:
        changed = invitations.invite_by_email(
            g.shop, email=form.email.data or "", actor_id=request_actor()["actor_id"]
        )
    except AffiliateError as refused:
        db.session.rollback()
        form.email.errors = [*form.email.errors, str(refused)]
        return _page(email_invite=form, status=400)
    db.session.commit()
    if changed:
        flash("Invitation emailed: they answer through the link in it.", "success")
    else:
        flash(
            "That address is already invited: use Send again in the list to email it again.",
            "info",
        )
    return redirect(url_for("affiliate_private_admin.members"), 303)


def _member(member_id: UUID) -> ShopAffiliate:
    row = services.get_member(member_id)
    if row is None:
        abort(404)
    return row


@bp.post("/<uuid:member_id>/rate")
@requires("shop.settings")
def set_rate(member_id: UUID) -> ResponseReturnValue:
    """Give a private affiliate a rate of their own, or the shop's rate again."""
    row = _member(member_id)
    form = MemberRateForm()
    if not form.validate():
        return _page(rate_form=form, rate_member=row.id, status=400)
    try:
        changed = services.set_member_rate(row, **form.values, actor_id=request_actor()["actor_id"])
    except AffiliateError as refused:
        db.session.rollback()
        form.rate_value.errors = [*form.rate_value.errors, str(refused)]
        return _page(rate_form=form, rate_member=member_id, status=400)
    db.session.commit()
    flash("Their rate is saved." if changed else "They had that rate: nothing changed.", "info")
    return redirect(url_for("affiliate_private_admin.members"), 303)


@bp.post("/<uuid:member_id>/resend")
@requires("shop.settings")
def resend(member_id: UUID) -> ResponseReturnValue:
    """Email an invitation not answered yet again (once per click: a replay sends nothing)."""
    row = _member(member_id)
    form = ResendForm()
    if not form.validate():
        abort(400)
    try:
        sent = invitations.resend_invitation(
            row, key=form.key.data or "", actor_id=request_actor()["actor_id"]
        )
    except AffiliateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("affiliate_private_admin.members"), 303)
    db.session.commit()
    if sent:
        flash("Invitation emailed again.", "success")
    else:
        flash("That invitation was already sent again: nothing more was sent.", "info")
    return redirect(url_for("affiliate_private_admin.members"), 303)


@bp.post("/<uuid:member_id>/remove")
@requires("shop.settings")
def remove(member_id: UUID) -> ResponseReturnValue:
    """Take an affiliate out of the private program (they can be invited again)."""
    row = _member(member_id)
    if not ConfirmForm().validate():
        abort(400)
    changed = services.remove_member(row, actor_id=request_actor()["actor_id"])
    db.session.commit()
    if changed:
        flash("Removed from your private program.", "success")
    else:
        flash("Already removed: nothing changed.", "info")
    return redirect(url_for("affiliate_private_admin.members"), 303)
