"""The forms of vendors, vendor products and purchasing settings (CSRF through Flask-WTF).

Amounts are typed in major units and parsed with ``mall.money.parse_money``, counts with
``mall.numbers.parse_whole`` (bounded); each form leaves what it parsed on ``parsed``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from mall.countries import country_choices
from mall.money import MoneyError, parse_money, to_decimal_text
from mall.numbers import NumberError, parse_whole
from vendors.directory import products, services
from vendors.directory.settings import MAX_OVER_RECEIPT_BP
from vendors.models import BillingPolicy, Vendor, VendorProduct

EXPIRED = "The form expired: reload the page and try again."
POLICY_LABELS = {
    BillingPolicy.RECEIVED: "Bill what was received (the usual)",
    BillingPolicy.ORDERED: "Bill what was ordered (paid in advance)",
}
_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?\Z")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(label: str, limit: int, *validators: Any) -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[*validators, Length(max=limit, message=f"Use at most {limit} characters.")],
    )


def _days(label: str, limit: int) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(0, limit, message=f"Enter 0 to {limit} days."),
        ],
    )


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class VendorForm(FlaskForm):
    """A vendor's details; the person's data among them is sealed when saved."""

    name = _text(
        "Company name",
        services.MAX_NAME,
        DataRequired(message="Enter the vendor's company name."),
    )
    contact_name = _text("Contact person (optional)", services.MAX_CONTACT)
    email = _text(
        "Email (optional)",
        services.MAX_EMAIL,
        Optional(),
        Email(message="Enter a valid email address."),
    )
    phone = _text("Phone (optional)", services.MAX_PHONE)
    street = _text("Street address", services.MAX_STREET)
    city = _text("City", services.MAX_CITY)
    postcode = _text("Postcode", services.MAX_POSTCODE)
    country = SelectField(
        "Country",
        choices=[
            SelectChoice("", "—"),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ],
    )
    payment_terms_days = _days("Payment terms (net days)", services.MAX_TERMS_DAYS)
    lead_time_days = _days("Lead time (days)", services.MAX_LEAD_DAYS)
    currency_note = _text("Currency note (optional, e.g. “invoices in EUR”)", 100)
    billing_policy = SelectField(
        "Bills from a purchase order",
        choices=[SelectChoice(policy.value, label) for policy, label in POLICY_LABELS.items()],
    )
    notes = TextAreaField(
        "Notes (optional)",
        filters=[_strip],
        validators=[
            Length(max=services.MAX_NOTES, message=f"Use at most {services.MAX_NOTES} characters.")
        ],
    )

    @classmethod
    def of(cls, vendor: Vendor | None) -> VendorForm:
        """The form as first shown: empty, or the vendor's details."""
        if vendor is None:
            return cls(formdata=None, payment_terms_days=30, lead_time_days=0)
        return cls(
            formdata=None,
            name=vendor.name,
            contact_name=vendor.contact_name or "",
            email=vendor.email or "",
            phone=vendor.phone or "",
            notes=vendor.notes or "",
            payment_terms_days=vendor.payment_terms_days,
            lead_time_days=vendor.lead_time_days,
            currency_note=vendor.currency_note,
            billing_policy=vendor.billing_policy.value,
            **services.vendor_address(vendor),
        )

    def to_input(self) -> services.VendorInput:
        """What was typed, for ``create_vendor`` / ``update_vendor``."""
        return services.VendorInput(
            name=self.name.data or "",
            contact_name=self.contact_name.data or "",
            email=self.email.data or "",
            phone=self.phone.data or "",
            street=self.street.data or "",
            city=self.city.data or "",
            postcode=self.postcode.data or "",
            country=self.country.data or "",
            notes=self.notes.data or "",
            payment_terms_days=self.payment_terms_days.data,
            lead_time_days=self.lead_time_days.data,
            currency_note=self.currency_note.data or "",
            billing_policy=self.billing_policy.data,
        )


def _whole(field: Field, *, maximum: int) -> int:
    try:
        return parse_whole(field.data, minimum=1, maximum=maximum)
    except NumberError as error:
        raise ValidationError(str(error)) from None


class SupplyForm(FlaskForm):
    """A vendor product's terms; ``sku`` picks the shop's variant when adding one."""

    sku = _text("Your SKU", products.MAX_VENDOR_SKU)
    vendor_sku = _text("Vendor's SKU (optional)", products.MAX_VENDOR_SKU)
    unit_cost = StringField("Cost per pack", filters=[_strip])
    pack_size = StringField("Units per pack", filters=[_strip], default="1")
    min_order_packs = StringField("Minimum order (packs)", filters=[_strip], default="1")
    drop_ship = BooleanField("The vendor ships this to the customer (drop-ship)")
    preferred = BooleanField("Preferred vendor for this product (reorder suggestions)")

    def __init__(self, *args: Any, adding: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.adding = adding
        self.parsed: dict[str, int] = {}

    @classmethod
    def of(cls, item: VendorProduct) -> SupplyForm:
        """The edit form of a vendor product, as first shown."""
        return cls(
            formdata=None,
            adding=False,
            vendor_sku=item.vendor_sku,
            unit_cost=to_decimal_text(item.unit_cost),
            pack_size=str(item.pack_size),
            min_order_packs=str(item.min_order_packs),
            drop_ship=item.drop_ship,
            preferred=item.preferred,
        )

    def validate_sku(self, field: Field) -> None:
        if self.adding and not field.data:
            raise ValidationError("Enter the SKU of one of your products.")

    def validate_unit_cost(self, field: Field) -> None:
        try:
            self.parsed["unit_cost"] = parse_money(field.data)
        except MoneyError as error:
            raise ValidationError(str(error)) from None

    def validate_pack_size(self, field: Field) -> None:
        self.parsed["pack_size"] = _whole(field, maximum=products.MAX_PACK_SIZE)

    def validate_min_order_packs(self, field: Field) -> None:
        self.parsed["min_order_packs"] = _whole(field, maximum=products.MAX_MIN_PACKS)

    def terms(self) -> products.SupplyInput:
        """The parsed terms (after ``validate``)."""
        return products.SupplyInput(
            vendor_sku=self.vendor_sku.data or "",
            unit_cost=self.parsed["unit_cost"],
            pack_size=self.parsed["pack_size"],
            min_order_packs=self.parsed["min_order_packs"],
            drop_ship=bool(self.drop_ship.data),
            preferred=bool(self.preferred.data),
        )


def percent_text(basis_points: int) -> str:
    """``250`` -> ``"2.5"``: a tolerance as the settings form shows it."""
    return f"{Decimal(basis_points) / 100:f}".rstrip("0").rstrip(".") or "0"


class SettingsForm(FlaskForm):
    """The shop's purchasing settings: the over-receipt tolerance, typed in percent."""

    over_receipt = StringField(
        "Over-receipt tolerance (% of the ordered quantity)", filters=[_strip], default="0"
    )

    def validate_over_receipt(self, field: Field) -> None:
        text = (field.data or "").rstrip("%").strip()
        if not _PERCENT.match(text):
            raise ValidationError("Enter a percentage from 0 to 100, such as 5 or 2.5.")
        basis_points = int(Decimal(text) * 100)
        if basis_points > MAX_OVER_RECEIPT_BP:
            raise ValidationError("Enter a percentage from 0 to 100, such as 5 or 2.5.")
        self.basis_points = basis_points
