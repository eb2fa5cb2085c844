"""The secure contact form (``/contact``, signed in or not) and the operator's inbox
(``/admin/messages``, operators only, like every console page)."""

from __future__ import annotations

from uuid import UUID

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RequestLimit
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from mall.accounts import contact as contact_service
from mall.accounts.auth import operator_required
from mall.accounts.contact import MAX_BODY, MAX_SUBJECT, ContactError, Sender
from mall.errors import rate_limited_message, retry_after
from mall.extensions import db, limiter
from mall.pagination import decode_position
from tenants.keys import reveal

bp = Blueprint("contact", __name__, template_folder="templates")
console_bp = Blueprint(
    "contact_console", __name__, url_prefix="/admin/messages", template_folder="templates"
)

CONTACT_LIMIT = "5 per hour"
PRIVATE = {"Cache-Control": "private, no-store"}


class ContactForm(FlaskForm):
    """A message to the operator; ``submission`` is the form's one-time token."""

    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        "Your email address (for our answer)",
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter a valid email address."),
            Length(max=254),
        ],
    )
    subject = StringField("Subject (optional)", validators=[Length(max=MAX_SUBJECT)])
    body = TextAreaField(
        "Your message",
        validators=[DataRequired("Write your message."), Length(max=MAX_BODY)],
    )
    submission = HiddenField()


class HandledForm(FlaskForm):
    """The "mark handled" button with its CSRF token."""


def _too_many_messages(breached: RequestLimit) -> Response:
    """The form again with what was typed (nothing sent), saying how long to wait: a 429."""
    wait = retry_after(breached.limit)
    notice = rate_limited_message(wait, what="messages")
    page = render_template("accounts/contact.html", form=ContactForm(), notice=notice)
    return make_response((page, 429, {**PRIVATE, "Retry-After": str(wait)}))


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"], on_breach=_too_many_messages)
def contact() -> ResponseReturnValue:
    """Write to the operator; the message is stored sealed, never emailed."""
    form = ContactForm()
    if request.method == "GET":
        form.submission.data = contact_service.new_submission_token()
        if current_user.is_authenticated:
            form.name.data = reveal(current_user, "name") or ""
            form.email.data = current_user.email
    elif form.validate_on_submit():
        try:
            contact_service.send_contact_message(
                form.submission.data or "",
                sender=Sender(name=form.name.data, email=form.email.data),
                subject=form.subject.data or "",
                body=form.body.data or "",
                user_id=current_user.id if current_user.is_authenticated else None,
            )
        except ContactError as error:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(error)]
        else:
            db.session.commit()
            flash("Thank you: your message is with us. We will answer by email.", "success")
            return redirect(url_for("contact.contact"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/contact.html", form=form), status, PRIVATE


@console_bp.get("/")
@operator_required
def inbox() -> ResponseReturnValue:
    """Messages from the contact form: waiting ones (or, ``?handled=1``, handled), newest first."""
    handled = request.args.get("handled") == "1"
    page = contact_service.inbox(
        handled=handled,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    return (
        render_template(
            "accounts/console/inbox.html",
            page=page,
            handled=handled,
            sender_of=contact_service.sender_of,
            waiting=contact_service.waiting_count(),
        ),
        200,
        PRIVATE,
    )


def _message_or_404(message_id: UUID):
    found = contact_service.get_message(message_id)
    if found is None:
        abort(404)
    return found


@console_bp.get("/<uuid:message_id>")
@operator_required
def message(message_id: UUID) -> ResponseReturnValue:
    """One message, unsealed for the operator."""
    found = _message_or_404(message_id)
    return (
        render_template(
            "accounts/console/message.html",
            message=found,
            sender=contact_service.sender_of(found),
            form=HandledForm(),
        ),
        200,
        PRIVATE,
    )


@console_bp.post("/<uuid:message_id>/handled")
@operator_required
def mark_handled(message_id: UUID) -> ResponseReturnValue:
    """Mark a message handled (a second click changes nothing)."""
    found = _message_or_404(message_id)
    if not HandledForm().validate_on_submit():
        abort(400)
    if contact_service.mark_handled(found, operator_id=current_user.id):
        db.session.commit()
        flash("The message is marked handled.", "success")
    else:
        db.session.rollback()
        flash("That message was already handled.", "info")
    return redirect(url_for("contact_console.inbox"), 303)
