"""The coupon link forms (CSRF through Flask-WTF); the services check every value again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class LinkForm(FlaskForm):
    """A coupon's code and the code of the affiliate its sales are for."""

    coupon_code = StringField(
        "Coupon code",
        filters=[_strip],
        validators=[DataRequired("Enter the coupon's code."), Length(max=64)],
    )
    affiliate_code = StringField(
        "Affiliate code",
        filters=[_strip],
        validators=[DataRequired("Enter the affiliate's code."), Length(max=32)],
    )


class ConfirmForm(FlaskForm):
    """A button with only its CSRF token."""
