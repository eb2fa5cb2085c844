"""The ledger's forms: the operator's commission settings and rates (CSRF on every one).

Rates are typed as percentages with up to two decimals ("12.5") and kept in
basis points (1250); each form leaves the parsed value on itself for the view.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

PERCENT = re.compile(r"^-?\d+(?:\.\d+)?$")
MAX_TYPED = 20
TOO_LONG = f"Enter at most {MAX_TYPED} characters, e.g. 12.5."
SHORT = Length(max=MAX_TYPED, message=TOO_LONG)


def parse_percent(text: str | None, *, what: str = "the commission") -> int:
    """``"12.5"`` -> 1250 basis points; ValidationError unless 0 to 100 with 2 decimals at most."""
    cleaned = (text or "").strip().removesuffix("%").strip().replace(",", ".")
    if not PERCENT.match(cleaned):
        raise ValidationError(f"Enter {what} as a number, e.g. 12.5.")
    value = Decimal(cleaned)
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError(f"Enter {what} as a percentage between 0 and 100.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError("Use at most 2 decimals, e.g. 12.25.")
    return int(value * 100)


class CommissionSettingsForm(FlaskForm):
    """The mall default rate, whether shipping counts, the tax on the platform's fee."""

    default_percent = StringField(
        "Mall commission (%)",
        validators=[DataRequired(message="Enter the mall's commission, e.g. 10."), SHORT],
    )
    include_shipping = BooleanField("Charge commission on shipping too")
    fee_tax_percent = StringField("Tax on the commission (%)", validators=[SHORT])

    def validate_default_percent(self, field: StringField) -> None:
        """Keep the basis points for the view."""
        self.default_bp = parse_percent(field.data, what="the mall's commission")

    def validate_fee_tax_percent(self, field: StringField) -> None:
        """Empty means no tax on the fee."""
        typed = (field.data or "").strip()
        self.fee_tax_bp = parse_percent(typed, what="the tax") if typed else 0


class ShopRateForm(FlaskForm):
    """The shop's own rate; empty lets the mall default apply."""

    shop_percent = StringField("The shop's commission (%)", validators=[SHORT])

    def validate_shop_percent(self, field: StringField) -> None:
        """None (empty): the mall default."""
        typed = (field.data or "").strip()
        self.rate_bp = parse_percent(typed, what="the shop's commission") if typed else None


class CategoryRateForm(FlaskForm):
    """A category override (add, or change the one the category has)."""

    category_id = SelectField("Category", choices=[], validate_choice=False)
    category_percent = StringField(
        "Commission for this category (%)",
        validators=[
            DataRequired(message="Enter the category's commission, e.g. 12.5."),
            SHORT,
        ],
    )

    def validate_category_id(self, field: SelectField) -> None:
        """One of the listed categories (the choices hold every category's id)."""
        if not field.data or field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose a category.")

    def validate_category_percent(self, field: StringField) -> None:
        """Keep the basis points for the view."""
        self.rate_bp = parse_percent(field.data, what="the category's commission")


class ConfirmForm(FlaskForm):
    """Only a CSRF token: remove an override."""
