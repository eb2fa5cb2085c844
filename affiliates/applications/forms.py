"""The application, payout and decision forms (CSRF through Flask-WTF). The services check
every value again and say what is wrong; the forms only bound the sizes."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import Length

from affiliates.applications.checks import (
    CODE_PATTERN,
    EMAIL_MAX,
    NOTE_MAX,
    PROMOTION_MAX,
    WEBSITE_MAX,
)
from affiliates.models import PayoutMethod
from affiliates.payouts.queries import stripe_ready

# A connected Stripe account whose transfers Stripe has enabled is paid by Stripe; until
# then payouts go to the PayPal address (``affiliates.payouts.queries.method_for``).
PAYOUT_CHOICES = [
    SelectChoice(PayoutMethod.PAYPAL.value, "PayPal (to the email address below)"),
    SelectChoice(PayoutMethod.STRIPE.value, "Stripe transfer (once enabled)"),
]
CODE_MAX = 32


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PayoutForm(FlaskForm):
    """Where the affiliate is paid."""

    payout_method = SelectField("How you are paid", choices=PAYOUT_CHOICES)
    payout_email = EmailField(
        "Payout email address",
        filters=[_strip],
        validators=[Length(max=EMAIL_MAX, message=f"At most {EMAIL_MAX} characters.")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not stripe_ready():  # Stripe is not offered where the mall cannot pay by it
            self.payout_method.choices = PAYOUT_CHOICES[:1]


class ApplyForm(PayoutForm):
    """The application: the website, how they promote, payout details, who recruited them."""

    website = URLField(
        "Your website",
        filters=[_strip],
        validators=[Length(max=WEBSITE_MAX, message=f"At most {WEBSITE_MAX} characters.")],
    )
    promotion = TextAreaField(
        "How you will promote the mall",
        filters=[_strip],
        validators=[Length(max=PROMOTION_MAX, message=f"At most {PROMOTION_MAX} characters.")],
    )
    recruited_by_code = StringField(
        "Code of the affiliate who invited you (optional)",
        filters=[_strip],
        validators=[Length(max=CODE_MAX, message=f"A code is at most {CODE_MAX} characters.")],
    )


def invitation_code(raw: str | None) -> str:
    """``?by=CODE`` as the form shows it: upper case if it looks like a code, else nothing."""
    wanted = (raw or "").strip().upper()
    return wanted if CODE_PATTERN.match(wanted) else ""


class ApproveForm(FlaskForm):
    """Approve, with a code of the operator's choice or a generated one."""

    code = StringField(
        "Code (optional: empty gives a random one)",
        filters=[_strip],
        validators=[Length(max=CODE_MAX, message=f"A code is at most {CODE_MAX} characters.")],
    )


class RejectForm(FlaskForm):
    """Reject, with a note the applicant reads."""

    note = TextAreaField(
        "Note to the applicant",
        filters=[_strip],
        validators=[Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters.")],
    )


class SuspendForm(FlaskForm):
    """Suspend, with an optional note the affiliate reads."""

    note = TextAreaField(
        "Note to the affiliate (optional)",
        filters=[_strip],
        validators=[Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters.")],
    )


class ActionForm(FlaskForm):
    """A button with only its CSRF token."""
