"""The customer's privacy pages (``/account/privacy``): a copy of their data, and account deletion.

- ``/account/privacy``: what Mall keeps and for how long; "Request my data" (a
  ZIP built by a job, its link emailed) and the way to delete the account.
- ``/account/privacy/export/<token>``: the emailed link; only the same account,
  signed in, downloads the ZIP; after ``EXPORT_LINK_HOURS`` it answers 410.
- ``/account/privacy/delete``: exactly what is deleted now and what is kept, and
  why; the password confirms; the account goes at once and the browser is signed out.
  An unpaid order blocks it: ``/account/privacy/delete/cancel-unpaid`` cancels it.

Higher layers say what they keep and what a deletion does to the person's part in them
(the affiliate program: its code stops, unpaid commissions are given up) through
``add_kept_note`` and ``add_deletion_note``, so this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import UUID as UUIDShape
from wtforms.validators import DataRequired, Length

from mall.accounts import erasure, export, retention
from mall.accounts.auth import end_browser_session
from mall.accounts.models import User
from mall.checkout.completion import cancel_unpaid_checkout
from mall.checkout.errors import CheckoutError
from mall.extensions import csrf, db, limiter, login_manager

bp = Blueprint("privacy", __name__, url_prefix="/account/privacy", template_folder="templates")

EXPORT_LIMIT = "5 per hour"
DELETE_LIMIT = "10 per hour"
PRIVATE = {"Cache-Control": "private, no-store"}
KEPT_NOTES_KEY = "mall.privacy.kept_notes"
DELETION_NOTES_KEY = "mall.privacy.deletion_notes"


@dataclass(frozen=True)
class PrivacyNote:
    """Another part of the mall's word on a privacy page, in plain sentences (no markup)."""

    key: str  # the section's id on the page
    heading: str
    items: tuple[str, ...] = ()
    warning: str = ""  # said first and highlighted: what the person would lose


PrivacyNoteSource = Callable[[User], PrivacyNote | None]


def add_kept_note(app: Flask, func: PrivacyNoteSource) -> None:
    """Add to "What we keep" on ``/account/privacy``: ``func(user)`` says what another part of
    the mall keeps (None: nothing to say)."""
    app.extensions.setdefault(KEPT_NOTES_KEY, []).append(func)


def add_deletion_note(app: Flask, func: PrivacyNoteSource) -> None:
    """Add to the deletion page: ``func(user)`` says what deleting the account does to the
    person's part in another part of the mall (None: they have none)."""
    app.extensions.setdefault(DELETION_NOTES_KEY, []).append(func)


def _notes(key: str, user: User) -> list[PrivacyNote]:
    found = (func(user) for func in current_app.extensions.get(key, []))
    return [note for note in found if note is not None]


class ExportForm(FlaskForm):
    """Only a CSRF token: ask for a copy of my data."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password to confirm."), Length(max=200)],
    )
    key = HiddenField()  # the account, signed: a second press after the deletion is recognised


class CancelUnpaidForm(FlaskForm):
    """Cancel one unpaid order (a checkout waiting for its payment) that blocks the deletion."""

    checkout = HiddenField(validators=[UUIDShape(message="Reload the page and try again.")])


def _periods() -> dict[str, int]:
    return {
        "retention_years": retention.retention_years(),
        "log_days": retention.log_retention_days(),
        "link_hours": export.link_hours(),
    }


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """What Mall keeps about the customer, the data export and the way to delete the account."""
    latest = export.latest_export(current_user)
    return (
        render_template(
            "accounts/privacy/index.html",
            form=ExportForm(),
            latest=latest,
            latest_open=export.is_open(latest),
            notes=_notes(KEPT_NOTES_KEY, current_user),
            **_periods(),
        ),
        200,
        PRIVATE,
    )


@bp.post("/export")
@login_required
@limiter.limit(EXPORT_LIMIT)
def request_export() -> ResponseReturnValue:
    """Ask for a ZIP of everything Mall holds about the account (emailed when ready)."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash("The form expired. Please try again.", "warning")
        return redirect(url_for("privacy.index"), 303)
    already = export.is_open(export.latest_export(current_user))
    export.request_export(current_user)
    db.session.commit()
    if already:
        flash(
            "You already asked for your data: the link is in the email we sent you (or will "
            "be shortly). You can ask for a new one once that link has expired.",
            "info",
        )
    else:
        flash(
            "We are preparing your data. We will email you a download link when it is ready.",
            "success",
        )
    return redirect(url_for("privacy.index"), 303)


@bp.get("/export/<token>")
@login_required
def download_export(token: str) -> ResponseReturnValue:
    """The emailed link: the ZIP, for the account that asked, while the link lasts."""
    try:
        ready = export.export_for_download(token, user=current_user)
        data = export.export_file(ready)
    except export.ExportGone:
        return render_template("accounts/privacy/export_gone.html", **_periods()), 410, PRIVATE
    except export.ExportNotFound:
        return (
            render_template(
                "errors/error.html",
                code=404,
                title="This link is not valid",
                message="The link is incomplete, or it belongs to another account. "
                "Sign in with the account that asked for the export.",
            ),
            404,
            PRIVATE,
        )
    return Response(
        data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{export.export_filename(ready)}"',
            **PRIVATE,
        },
    )


def _goodbye() -> ResponseReturnValue:
    flash("Your account is deleted. Thank you for shopping with us.", "success")
    return redirect(url_for("pages.home"), 303)


@bp.route("/delete", methods=["GET", "POST"])
# Exempt from the app-wide check only until the line below runs it: the same form sent again
# after the deletion (its session went with the account) must first be recognised.
@csrf.exempt
@limiter.limit(DELETE_LIMIT, methods=["POST"])
def delete_account() -> ResponseReturnValue:
    """What deleting the account removes and keeps; the password deletes it for good."""
    if request.method == "POST" and erasure.erased_by_form(request.form.get("key")):
        return _goodbye()  # a double click or retry: where the first press went
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method == "POST":
        csrf.protect()  # the app-wide check, Referer included on HTTPS
    form = DeleteAccountForm(key=erasure.deletion_form_key(current_user))
    blocker = erasure.erasure_blocker(current_user)
    status = 200
    if form.validate_on_submit():
        try:
            erasure.erase_account(current_user._get_current_object(), password=form.password.data)
        except erasure.AlreadyErased:
            db.session.rollback()
            end_browser_session()
            return _goodbye()
        except export.PrivacyError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            end_browser_session()
            return _goodbye()
    if form.errors:
        status = 400
    return (
        render_template(
            "accounts/privacy/delete.html",
            form=form,
            blocker=blocker,
            unpaid=erasure.unpaid_orders(current_user),
            cancel_form=CancelUnpaidForm(),
            notes=_notes(DELETION_NOTES_KEY, current_user),
            **_periods(),
        ),
        status,
        PRIVATE,
    )


@bp.post("/delete/cancel-unpaid")
@login_required
def cancel_unpaid() -> ResponseReturnValue:
    """Cancel an unpaid order that blocks the deletion; once, however often it is pressed."""
    form = CancelUnpaidForm()
    if not form.validate_on_submit():
        flash("The form expired. Please reload the page and try again.", "warning")
        return redirect(url_for("privacy.delete_account"), 303)
    try:
        cancel_unpaid_checkout(UUID(form.checkout.data), user=current_user._get_current_object())
    except CheckoutError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The unpaid order is cancelled and its items went back to the shops.", "success")
    return redirect(url_for("privacy.delete_account"), 303)
