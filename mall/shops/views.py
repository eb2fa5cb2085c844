"""Mall-level shop pages for members: open a shop, accept an invitation, shop logos."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from mall.accounts.auth import verified_required
from mall.accounts.passwords import WeakPassword
from mall.extensions import db, limiter
from mall.shops import forms, logos, services
from mall.shops.models import Membership
from mall.storage import StorageKeyInvalid, storage
from tenants.services import ShopError

bp = Blueprint("shops", __name__, template_folder="templates")

LOGO_CACHE = "public, max-age=31536000, immutable"  # keys are random and never reused
SIGN_UP_LIMIT = "20 per minute"  # per IP, as the sign-up and sign-in pages


def uploaded_bytes(field: Any) -> bytes | None:
    """An uploaded file's bytes (at most one byte over the limit), or None when none was sent."""
    upload = field.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    return upload.stream.read(logos.MAX_LOGO_BYTES + 1)


@bp.route("/shops/new", methods=["GET", "POST"])
@verified_required
def new() -> ResponseReturnValue:
    """Open a shop: it waits for the operators' approval unless auto-approval is on."""
    form = forms.ShopForm()
    if form.validate_on_submit():
        slug = form.slug.data
        try:
            shop = services.register_shop(
                current_user,
                name=form.name.data,
                slug=slug,
                description=form.description.data or "",
                contact_email=form.contact_email.data,
                logo=uploaded_bytes(form.logo),
            )
            slug = shop.slug
            pending = not shop.is_open
            db.session.commit()
        except logos.LogoError as error:
            db.session.rollback()
            form.logo.errors.append(str(error))
        except ShopError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        except IntegrityError:
            # Lost a race for the slug at commit time: the same answer as a taken slug.
            db.session.rollback()
            form.slug.errors.append(f"The shop address “{slug}” is taken.")
        else:
            if pending:
                flash(
                    "Your shop is created and waiting for approval. Meanwhile, set it up.", "info"
                )
            else:
                flash("Your shop is open. Welcome to the mall!", "success")
            return redirect(url_for("shop_admin.dashboard", shop=slug))
    return render_template("shops/new.html", form=form), 400 if form.errors else 200


@bp.get("/media/<path:key>")
def media(key: str) -> ResponseReturnValue:
    """Serve a shop logo (PNG, re-encoded at upload); nothing else is public here."""
    if not logos.is_logo_key(key):
        abort(404)
    try:
        data = storage().open(key)
    except (FileNotFoundError, StorageKeyInvalid):
        abort(404)
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = LOGO_CACHE
    return response


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(SIGN_UP_LIMIT, methods=["POST"])
def invitation(token: str) -> ResponseReturnValue:
    """An invitation link: say who invited which address; sign in (or sign up) and accept."""
    if not current_user.is_authenticated:
        return _invitation_for_visitor(token)
    if not current_user.is_verified:
        flash("Please confirm your email address first: we sent you a link.", "warning")
        return redirect(url_for("accounts.account"))
    try:
        preview = services.preview_invitation(token, current_user)
    except services.InvitationInvalid as error:
        return _invitation_invalid(error)
    dashboard = url_for("shop_admin.dashboard", shop=preview.shop.slug)
    if preview.accepted:
        flash(f"You are already a member of {preview.shop.name}.", "info")
        return redirect(dashboard)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        name = preview.shop.name
        try:
            services.accept_invitation(token, current_user)
        except services.InvitationInvalid as error:
            db.session.rollback()
            return _invitation_invalid(error)
        db.session.commit()
        flash(f"Welcome to the team of {name}!", "success")
        return redirect(dashboard)
    return render_template(
        "shops/invitation.html",
        preview=preview,
        role=services.role_label(preview.role),
        form=form,
    )


def _invitation_invalid(error: Exception) -> ResponseReturnValue:
    return render_template("shops/invitation_invalid.html", message=str(error)), 400


def _invitation_for_visitor(token: str) -> ResponseReturnValue:
    """Signed out: the shop, the invited address and the role; sign in, or sign up right here."""
    try:
        landing = services.invitation_landing(token)
    except services.InvitationInvalid as error:
        return _invitation_invalid(error)
    here = url_for("shops.invitation", token=token)  # a path: ``next`` never leaves the mall
    form = forms.InviteeRegisterForm()
    if request.method == "POST":
        if landing.has_account or "password" not in request.form:
            return redirect(here, 303)  # e.g. the accept button of a session that ended
        if form.validate_on_submit():
            try:
                services.register_invitee(token, name=form.name.data, password=form.password.data)
                db.session.commit()
            except WeakPassword as error:
                db.session.rollback()
                form.password.errors.append(str(error))
            except services.InvitationInvalid as error:
                db.session.rollback()
                return _invitation_invalid(error)
            except IntegrityError:
                db.session.rollback()  # a double submit lost the race: the account exists
                return redirect(here, 303)
            else:
                flash(
                    "Your account is created. Confirm your address with the link we just "
                    "emailed, then sign in here to accept the invitation.",
                    "success",
                )
                return redirect(here, 303)
    return render_template(
        "shops/invitation_visitor.html",
        landing=landing,
        role=services.role_label(landing.role),
        form=form,
        sign_in_url=url_for("accounts.login", next=here),
    ), 400 if form.errors else 200


class MyShops:
    """The signed-in user's memberships, loaded by one query on first use in a template."""

    def __init__(self) -> None:
        self._items: list[Membership] | None = None

    def _load(self) -> list[Membership]:
        if self._items is None:
            authenticated = current_user and current_user.is_authenticated
            # The back office's gate has read them already (``permissions.admit_members``).
            known = g.get("my_shops")
            if known is not None:
                self._items = known
            else:
                self._items = services.my_shops(current_user.id) if authenticated else []
        return self._items

    def __iter__(self) -> Iterator[Membership]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __bool__(self) -> bool:
        return bool(self._load())


@bp.app_context_processor
def inject_my_shops() -> dict[str, Any]:
    """``my_shops`` for the account menu and page; lazy, so pages that never list it pay nothing."""
    return {"my_shops": MyShops(), "shop_role_label": services.role_label}
