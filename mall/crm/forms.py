"""The CRM's forms (CSRF through Flask-WTF). Forms that add a message carry ``key``, made
when the form is shown, so that sending it twice adds one message."""

from __future__ import annotations

import re
import secrets

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from mall.crm.customers import MAX_NAME, MAX_NOTES, MAX_TAGS
from mall.crm.messages import MAX_BODY, MAX_SUBJECT
from mall.crm.models import ThreadStatus

MAX_EMAIL = 254
EXPIRED = "The form expired: reload the page and try again."
_FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
_EMAILISH = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
STATUS_LABELS = {
    ThreadStatus.OPEN: "Open: to answer",
    ThreadStatus.WAITING: "Waiting for the customer",
    ThreadStatus.CLOSED: "Closed",
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def new_form_key() -> str:
    """A fresh key for a form that must act once per rendering."""
    return secrets.token_hex(16)


def _body(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message="Write a message."),
            Length(max=MAX_BODY, message=f"Use at most {MAX_BODY} characters."),
        ],
    )


def _email(label: str) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message="Enter your email."),
            Length(max=MAX_EMAIL, message=f"Use at most {MAX_EMAIL} characters."),
            Regexp(_EMAILISH, message="Enter an email such as name@example.com."),
        ],
    )


class _Keyed(FlaskForm):
    key = HiddenField(validators=[Regexp(_FORM_KEY, message=EXPIRED)])

    @classmethod
    def fresh(cls, **data: object) -> _Keyed:
        """The form as first shown, with a new key."""
        return cls(formdata=None, key=new_form_key(), **data)


class ContactForm(_Keyed):
    """A customer writes to a shop from its page (signed in: their account's email)."""

    name = StringField(
        "Your name (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=MAX_NAME, message=f"Use at most {MAX_NAME} characters."),
        ],
    )
    email = _email("Your email")
    subject = StringField(
        "Subject (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=MAX_SUBJECT, message=f"Use at most {MAX_SUBJECT} characters."),
        ],
    )
    body = _body("Your message")


class OrderMessageForm(_Keyed):
    """A customer writes about an order, from its tracking page."""

    body = _body("Your message")


class ReplyForm(_Keyed):
    """An answer in a thread (the customer's or the staff's)."""

    body = _body("Your answer")


class CustomerSearchForm(FlaskForm):
    """A customer's email: posted, so the address never is in a URL."""

    email = EmailField(
        "Customer's email",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the customer's email."),
            Length(max=MAX_EMAIL, message=f"Use at most {MAX_EMAIL} characters."),
            Regexp(r"[^@\s]+@[^@\s]+\Z", message="Enter an email such as name@example.com."),
        ],
    )


class NotesForm(FlaskForm):
    """The staff's notes (sealed) and tags about a customer."""

    notes = TextAreaField(
        "Notes (your staff see them; the customer too if they ask for a copy of their data)",
        filters=[_strip],
        validators=[Length(max=MAX_NOTES, message=f"Use at most {MAX_NOTES} characters.")],
    )
    tags = StringField(
        "Tags (separated by spaces or commas)",
        filters=[_strip],
        validators=[Length(max=MAX_TAGS, message=f"Use at most {MAX_TAGS} characters.")],
    )


class StatusForm(FlaskForm):
    """Mark a thread open, waiting or closed."""

    status = SelectField(
        "Status",
        choices=[SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        validators=[DataRequired()],
    )


class AssignForm(FlaskForm):
    """Give a thread to a member (choices: the shop's members, set by the view) or to nobody."""

    assignee = SelectField(
        "Assigned to", choices=[SelectChoice("", "Nobody")], validate_choice=True
    )
