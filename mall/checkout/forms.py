"""Checkout forms (CSRF on every one, through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from mall.accounts.addresses import MAX_FIELD
from mall.countries import country_choices


class ContactForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(message="Enter your email address: the confirmation goes there."),
            Email(message="Enter a valid email address."),
            Length(max=254),
        ],
    )


def _country_choices() -> list[tuple[str, str]]:
    return [("", "Choose a country…"), *country_choices()]


class AddressFields(FlaskForm):
    """One postal address; the country's own rules are checked by ``clean_address``."""

    class Meta:
        csrf = False  # part of AddressForm, which carries the token

    name = StringField("Full name", validators=[Length(max=MAX_FIELD)])
    line1 = StringField("Street address", validators=[Length(max=MAX_FIELD)])
    line2 = StringField("Apartment, suite, etc. (optional)", validators=[Length(max=MAX_FIELD)])
    city = StringField("City", validators=[Length(max=MAX_FIELD)])
    region = StringField("State, province or region", validators=[Length(max=MAX_FIELD)])
    postal_code = StringField("Postal code", validators=[Length(max=32)])
    country = SelectField("Country", choices=[], validate_choice=False)
    phone = StringField("Phone (optional, for the carrier)", validators=[Length(max=40)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = _country_choices()


class AddressForm(FlaskForm):
    saved = RadioField("Use a saved address", choices=[], validate_choice=False)
    billing_same = BooleanField("The billing address is the same", default=True)
    save = BooleanField("Save this address to my account for next time")


class PaymentForm(FlaskForm):
    method = RadioField(
        "Payment method",
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message="Choose a payment method.")],
    )


class PlaceOrderForm(FlaskForm):
    reviewed = HiddenField()
    # Names this checkout (signed): a second press after the first placed it lands on its result.
    key = HiddenField()
    card_number = StringField("Card number", validators=[Optional(), Length(max=40)])
    card_expiry = StringField("Expiry (MM/YY)", validators=[Optional(), Length(max=7)])
    card_cvc = StringField("Security code", validators=[Optional(), Length(max=4)])
