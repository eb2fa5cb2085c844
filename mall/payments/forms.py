"""Forms of the payments pages: the shop's settings, the card actions, the operator's providers."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

MAX_INSTRUCTIONS = 2000
MAX_REASON = 300


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ShopPaymentsForm(FlaskForm):
    bank_transfer_enabled = BooleanField("Accept bank transfers")
    bank_instructions = TextAreaField(
        "Bank transfer instructions",
        filters=[_strip],
        validators=[
            Length(
                max=MAX_INSTRUCTIONS,
                message=f"Keep the instructions under {MAX_INSTRUCTIONS} characters.",
            )
        ],
    )
    offline_card_enabled = BooleanField("Accept cards charged on the shop's own terminal")


class ActionForm(FlaskForm):
    """A button: reveal the card, mark it processed (CSRF only)."""


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Why was the card declined?",
        filters=[_strip],
        validators=[
            DataRequired(message="Say why the card was declined (the customer is told)."),
            Length(max=MAX_REASON, message=f"Keep the reason under {MAX_REASON} characters."),
        ],
    )


class ProvidersForm(FlaskForm):
    stripe = BooleanField("Stripe (card payments on Stripe's page)")
    test = BooleanField("Test payments (marked paid at once; never in production)")
