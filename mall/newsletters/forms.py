"""The newsletters forms: the email preferences, a newsletter's draft, sending it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from mall.newsletters.models import BODY_MAX, SUBJECT_MAX


class PreferencesForm(FlaskForm):
    """The mall's newsletter; the shops' boxes are read as ``shop`` values (their ids)."""

    mall = BooleanField("The mall's newsletter: new shops, offers and news from the whole mall")


class NewsletterForm(FlaskForm):
    """A newsletter's subject and text (Markdown)."""

    subject = StringField(
        "Subject",
        validators=[
            DataRequired(message="Enter a subject."),
            Length(max=SUBJECT_MAX, message=f"Keep the subject under {SUBJECT_MAX} characters."),
        ],
    )
    body = TextAreaField(
        "Text",
        validators=[
            DataRequired(message="Write the newsletter's text."),
            Length(max=BODY_MAX, message=f"Keep the text under {BODY_MAX} characters."),
        ],
    )


class SendForm(FlaskForm):
    """Send a draft (or resume one cut short): a button with its CSRF token."""


class UnsubscribeForm(FlaskForm):
    """The confirm button of the unsubscribe page (the signed link is the authority)."""

    class Meta:
        csrf = False
