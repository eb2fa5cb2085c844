"""The shop's invoice details form (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from mall.invoices.services import MAX_ADDRESS, MAX_FOOTER, MAX_LEGAL_NAME, MAX_VAT_NUMBER


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class InvoiceDetailsForm(FlaskForm):
    """What every invoice and credit note from now on says about the shop."""

    legal_name = StringField(
        "Legal name (optional)",
        validators=[Optional(), Length(max=MAX_LEGAL_NAME)],
        filters=[_strip],
    )
    address = TextAreaField(
        "Business address (optional)",
        validators=[Optional(), Length(max=MAX_ADDRESS)],
        filters=[_strip],
    )
    vat_number = StringField(
        "VAT or tax number (optional)",
        validators=[Optional(), Length(max=MAX_VAT_NUMBER)],
        filters=[_strip],
    )
    footer = TextAreaField(
        "Footer (optional)",
        validators=[Optional(), Length(max=MAX_FOOTER)],
        filters=[_strip],
    )
