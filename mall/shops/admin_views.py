"""A shop's back office at /shop/<slug>/admin/: dashboard, settings, staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.db import utcnow
from mall.errors import get_or_404
from mall.extensions import db
from mall.pagination import page_number
from mall.shops import forms, logos, services
from mall.shops.models import Role
from mall.shops.permissions import can, membership_of, requires
from mall.shops.retention import (
    MAX_YEARS,
    MIN_YEARS,
    RetentionInvalid,
    default_retention_years,
    shop_retention_years,
)
from mall.shops.views import uploaded_bytes
from tenants.keys import reveal
from tenants.keys.masking import mask_email
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "shop_admin", __name__, admin=True, url_prefix="/admin", template_folder="templates"
)

STAFF_PER_PAGE = 25


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


@bp.context_processor
def admin_helpers() -> dict[str, Any]:
    """Helpers for the back office templates."""
    return {
        "can": member_can,
        "role_label": services.role_label,
        "reveal": reveal,
    }


@bp.get("/")
@requires("shop.view")
def dashboard() -> ResponseReturnValue:
    """The back office home: status, what the member may do here."""
    return render_template("shops/dashboard.html", shop=g.shop, membership=g.membership)


@bp.route("/settings", methods=["GET", "POST"])
@requires("shop.settings")
def settings() -> ResponseReturnValue:
    """Edit the shop's name, description, logo, contact email, policies and retention period."""
    shop = g.shop
    form = forms.SettingsForm(
        data={
            "name": shop.name,
            "description": shop.description,
            "policies": shop.policies,
            "contact_email": reveal(shop, "contact_email") or "",
            "retention_years": shop_retention_years(shop.id),
        }
    )
    if form.validate_on_submit():
        try:
            services.update_settings(
                shop,
                name=form.name.data,
                description=form.description.data or "",
                policies=form.policies.data or "",
                contact_email=form.contact_email.data,
                logo=uploaded_bytes(form.logo),
                remove_logo=bool(form.remove_logo.data),
                retention_years=form.retention_years.data,
            )
        except logos.LogoError as error:
            db.session.rollback()
            form.logo.errors.append(str(error))
        except RetentionInvalid as error:
            db.session.rollback()
            form.retention_years.errors.append(str(error))
        else:
            db.session.commit()
            flash("The shop's settings are saved.", "success")
            return redirect(url_for("shop_admin.settings"))
    retention = {"min": MIN_YEARS, "max": MAX_YEARS, "default": default_retention_years()}
    page = render_template("shops/settings.html", shop=shop, form=form, retention=retention)
    return page, 400 if form.errors else 200


def _staff_page(
    invite_form: forms.InviteForm | None = None, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    members = services.staff_page(
        g.shop, page=page_number(request.args.get("page")), per_page=STAFF_PER_PAGE
    )
    return render_template(
        "shops/staff.html",
        shop=g.shop,
        members=members,
        invitations=services.pending_invitations(g.shop),
        invite_form=invite_form or forms.InviteForm(formdata=None),
        confirm_form=forms.ConfirmForm(formdata=None),
        role_choices=[(role.value, services.role_label(role).capitalize()) for role in Role],
        error=error,
        now=utcnow(),
        invitation_days=services.INVITATION_DAYS,
    ), status


@bp.get("/staff")
@requires("staff.view")
def staff() -> ResponseReturnValue:
    """Members and pending invitations, with their full emails (owners and managers only)."""
    return _staff_page()


@bp.post("/staff/invite")
@requires("staff.manage")
def invite() -> ResponseReturnValue:
    """Invite someone by email; inviting a pending address again resends the email."""
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(g.shop, current_user, email=form.email.data, role=form.role.data)
        except services.StaffError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            # Flashes live in the session cookie: the address stays masked there.
            flash(f"Invitation sent to {mask_email(form.email.data)}.", "success")
            return redirect(url_for("shop_admin.staff"))
    return _staff_page(form, status=400)


def _after_own_change(user_id: UUID, code: int = 302) -> ResponseReturnValue:
    # A member who changed their own access may no longer see the staff list.
    if user_id == current_user.id:
        if membership_of(user_id, g.shop.id) is None:
            return redirect(url_for("accounts.account"), code)
        return redirect(url_for("shop_admin.dashboard"), code)
    return redirect(url_for("shop_admin.staff"), code)


@bp.post("/staff/<uuid:membership_id>/role")
@requires("staff.manage")
def change_role(membership_id: UUID) -> ResponseReturnValue:
    """Give a member another role (the last owner stays an owner)."""
    membership = get_or_404(services.get_membership, g.shop, membership_id)
    form = forms.RoleForm()
    if not form.validate_on_submit():
        return _staff_page(error="Choose one of the roles listed.", status=400)
    user_id = membership.user_id
    try:
        services.change_role(g.shop, membership, form.role.data)
    except services.StaffError as error:
        db.session.rollback()
        return _staff_page(error=str(error), status=400)
    db.session.commit()
    flash("The role is changed.", "success")
    return _after_own_change(user_id)


@bp.route("/staff/<uuid:membership_id>/remove", methods=["GET", "POST"])
@requires("staff.manage")
def remove_member(membership_id: UUID) -> ResponseReturnValue:
    """Ask once, naming who loses what; the page's button posts back here with the confirmation.

    A POST without the confirmation only asks (303 to this page); the last owner is never removed.
    """
    membership = get_or_404(services.get_membership, g.shop, membership_id)
    form = forms.RemoveForm()
    if request.method == "GET":
        return render_template(
            "shops/remove_member.html",
            shop=g.shop,
            membership=membership,
            form=form,
            yourself=membership.user_id == current_user.id,
            refused=services.removal_refused(g.shop, membership),
        )
    if not form.validate_on_submit():
        abort(400)
    if form.confirm.data != forms.CONFIRMED:
        return redirect(url_for("shop_admin.remove_member", membership_id=membership.id), 303)
    user_id = membership.user_id
    try:
        services.remove_member(g.shop, membership)
    except services.StaffError as error:
        db.session.rollback()
        return _staff_page(error=str(error), status=400)
    db.session.commit()
    flash("The member is removed from the shop.", "success")
    return _after_own_change(user_id, code=303)


@bp.post("/invitations/<uuid:invitation_id>/revoke")
@requires("staff.manage")
def revoke_invitation(invitation_id: UUID) -> ResponseReturnValue:
    """Withdraw a pending invitation: its link stops working."""
    invitation = services.get_invitation(invitation_id)
    if invitation is None:
        abort(404)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.revoke_invitation(invitation)
    except services.StaffError as error:
        db.session.rollback()
        return _staff_page(error=str(error), status=400)
    db.session.commit()
    flash("The invitation is withdrawn.", "success")
    return redirect(url_for("shop_admin.staff"))
