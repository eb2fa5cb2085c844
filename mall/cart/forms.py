"""The cart's forms. Every field is read as text and parsed here, so a bad value (not a
number, NUL bytes, 10**20) is a message, never an exception."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from mall.cart.services import MAX_QUANTITY, parse_id, parse_quantity
from mall.countries import country_choices


class _LineForm(FlaskForm):
    """A form naming one cart line (or one variant) by its id."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST already (the same token)

    variant_id = HiddenField()

    @property
    def variant(self) -> UUID | None:
        return parse_id(self.variant_id.data)


class AddForm(_LineForm):
    """The product page's "Add to cart": a variant, how many, and the form's one-time nonce."""

    quantity = StringField("Quantity", default="1")
    nonce = HiddenField()

    def validate_quantity(self, field: Any) -> None:
        if parse_quantity(field.data or "") is None:
            raise ValidationError(f"Choose a quantity from 1 to {MAX_QUANTITY}.")

    @property
    def amount(self) -> int:
        return parse_quantity(self.quantity.data or "") or 0


class QuantityForm(_LineForm):
    """A line's new quantity (0 removes it)."""

    quantity = StringField("Quantity")

    def validate_quantity(self, field: Any) -> None:
        if parse_quantity(field.data or "", allow_zero=True) is None:
            raise ValidationError(f"Choose a quantity from 0 to {MAX_QUANTITY}.")

    @property
    def amount(self) -> int:
        return parse_quantity(self.quantity.data or "", allow_zero=True) or 0


class RemoveForm(_LineForm):
    """Take a line out."""


class CountryForm(FlaskForm):
    """Where the cart ships to (for shipping options and tax)."""

    class Meta:
        csrf = False

    country = SelectField("Ship to", validate_choice=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [("", "Choose a country…"), *country_choices()]


class ShippingForm(FlaskForm):
    """One shop's shipping method."""

    class Meta:
        csrf = False

    tenant_id = HiddenField()
    method_id = StringField("Shipping")

    @property
    def ids(self) -> tuple[UUID, UUID] | None:
        tenant, method = parse_id(self.tenant_id.data), parse_id(self.method_id.data)
        return (tenant, method) if tenant and method else None


class CouponForm(FlaskForm):
    """The coupon codes, separated by commas or spaces (an empty field removes them)."""

    class Meta:
        csrf = False

    codes = StringField("Coupon codes")

    def validate_codes(self, field: Any) -> None:
        if len(field.data or "") > 300:
            raise ValidationError("That is too long for coupon codes.")
