"""The payout pages' forms (CSRF on every one); each leaves its parsed values on itself."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from mall.ledger.connect import ACCOUNT_ID
from mall.ledger.forms import parse_percent
from mall.money import MoneyError, parse_money
from mall.numbers import NumberError, parse_whole

REASON_MAX = 300


def _strip(value: Any) -> Any:
    # Filters also run on the data a form is built with: a column may be None (no id yet).
    return value.strip() if isinstance(value, str) else value


class ConnectAccountForm(FlaskForm):
    """The shop's Stripe Connect account id; empty: paid by the mall's manual payouts."""

    stripe_account_id = StringField(
        "Stripe account id", validators=[Optional(), Length(max=100)], filters=[_strip]
    )

    def validate_stripe_account_id(self, field: StringField) -> None:
        """``acct_`` and letters or digits."""
        if field.data and not ACCOUNT_ID.match(field.data):
            raise ValidationError("A Stripe account id looks like acct_1AbCdEfGhIjKlMnO.")


class PayoutSettingsForm(FlaskForm):
    """The mall-wide holding period (days) and minimum payout (an amount)."""

    holding_days = StringField(
        "Holding period (days)",
        validators=[
            DataRequired(message="Enter the holding period in days, e.g. 7."),
            Length(max=6),
        ],
    )
    minimum = StringField(
        "Minimum payout",
        validators=[DataRequired(message="Enter the minimum payout, e.g. 10.00."), Length(max=20)],
    )

    def validate_holding_days(self, field: StringField) -> None:
        """0 to 365."""
        try:
            self.holding = parse_whole(field.data, minimum=0, maximum=365)
        except NumberError:
            raise ValidationError("Enter a whole number of days from 0 to 365.") from None

    def validate_minimum(self, field: StringField) -> None:
        """An amount in the mall's currency."""
        try:
            self.minimum_minor = parse_money(field.data)
        except MoneyError as error:
            raise ValidationError(str(error)) from None
        if self.minimum_minor < 0:
            raise ValidationError("Enter zero or more.")


class ShopControlsForm(FlaskForm):
    """A shop's rolling reserve and whether its payouts are held."""

    reserve_percent = StringField("Reserve (%)", validators=[Length(max=20)])
    reserve_days = StringField("Held for (days)", validators=[Length(max=6)])
    payouts_held = BooleanField("Hold this shop's payouts")
    hold_reason = TextAreaField("Why (the shop sees this)", validators=[Length(max=300)])

    def validate_reserve_percent(self, field: StringField) -> None:
        """Empty: no reserve."""
        typed = (field.data or "").strip()
        self.reserve_bp = parse_percent(typed, what="the reserve") if typed else 0

    def validate_reserve_days(self, field: StringField) -> None:
        """0 to 365; needed with a reserve."""
        typed = (field.data or "").strip()
        try:
            self.days = parse_whole(typed, minimum=0, maximum=365) if typed else 0
        except NumberError:
            raise ValidationError("Enter a whole number of days from 0 to 365.") from None
        if (self.reserve_percent.data or "").strip() and not self.days:
            raise ValidationError("Say for how many days the reserve is held.")

    def validate_hold_reason(self, field: TextAreaField) -> None:
        """Needed when holding: the shop is told why."""
        if self.payouts_held.data and not (field.data or "").strip():
            raise ValidationError("Say why the payouts are held: the shop sees it.")


class ReturnedForm(FlaskForm):
    """Why a manual payout came back (or was never paid)."""

    reason = StringField(
        "What happened",
        filters=[_strip],
        validators=[
            DataRequired(message="Say what the bank said about the payout."),
            Length(
                max=REASON_MAX,
                message=f"Say what happened in at most {REASON_MAX} characters.",
            ),
        ],
    )
