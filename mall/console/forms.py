"""Operator console forms (CSRF on every one, through Flask-WTF)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from mall.console.services import MAX_REASON_LENGTH, MAX_SHRED_GRACE_DAYS


def parse_percent(text: str) -> int:
    """``"12.5"`` -> 1250 basis points; ValidationError unless 0 to 100, 2 decimals at most."""
    cleaned = (text or "").strip().removesuffix("%").strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError("Enter the commission as a number, e.g. 12.5.") from None
    if not value.is_finite():
        raise ValidationError("Enter the commission as a number, e.g. 12.5.")
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError("The commission is between 0 and 100 percent.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError("Use at most 2 decimals, e.g. 12.25.")
    return int(value * 100)


class ActionForm(FlaskForm):
    """Only a CSRF token: approve, reactivate."""


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the suspension (sent to the owners)",
        validators=[
            DataRequired(message="Give the reason: the owners will read it."),
            Length(max=MAX_REASON_LENGTH, message=f"Keep it under {MAX_REASON_LENGTH} characters."),
        ],
    )


class CommissionForm(FlaskForm):
    percent = StringField(
        "Commission (%)",
        validators=[DataRequired(message="Enter the commission, e.g. 12.5."), Length(max=20)],
    )

    def validate_percent(self, field: StringField) -> None:
        """Keep the basis points for the view; the message says what is wrong."""
        self.rate_bp = parse_percent(field.data)


class CloseForm(FlaskForm):
    confirm_slug = StringField(
        "Type the shop's address to confirm",
        validators=[DataRequired(message="Type the shop's address to confirm."), Length(max=63)],
    )


class SettingsForm(FlaskForm):
    auto_approve_shops = BooleanField("Approve new shops automatically")
    shred_grace_days = IntegerField(
        "Days before a closed shop's data is erased",
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(
                min=1,
                max=MAX_SHRED_GRACE_DAYS,
                message=f"Enter a number of days from 1 to {MAX_SHRED_GRACE_DAYS}.",
            ),
        ],
    )
