"""The vendor's form on the PO link: confirm, expected ship date, carrier, tracking, shipped.

Every field is read as text and checked here with the same rules as the services
(``mall.orders.carriers`` for the carrier, ``confirmations.clean_vendor_tracking`` for
the number, ``mall.numbers`` for counts),
so a bad value is a message beside its field and the page keeps what was typed.
A drop-ship PO adds one "shipped now" field per line (``reply_form``). The hidden
``key`` is made when the form is shown: sending it twice records one shipment.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Regexp, ValidationError
from wtforms.widgets import DateInput, NumberInput

from mall.db import utcnow
from mall.numbers import NumberError, parse_whole
from mall.orders import carriers
from vendors.models import PurchaseOrder, PurchaseOrderLine
from vendors.vendor_link.confirmations import clean_vendor_tracking

EXPIRED = "This form had expired: check the details and send it again."
FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
QUANTITY_PREFIX = "shipped_"
NOT_YET = ""  # the carrier choice "not shipped yet"
# How far ahead an expected ship date may be (a typo like 2062 is caught).
MAX_AHEAD = timedelta(days=366)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def quantity_name(line_id: UUID) -> str:
    """The form field of a PO line's units shipped now."""
    return f"{QUANTITY_PREFIX}{line_id.hex}"


def _carrier_choices() -> list[SelectChoice]:
    return [SelectChoice(NOT_YET, "Not shipped yet")] + [
        SelectChoice(key, name) for key, name in carriers.carrier_choices()
    ]


class VendorReplyForm(FlaskForm):
    """What the vendor tells the shop; build it with ``reply_form`` (it adds the quantities)."""

    expected_on = StringField("Expected ship date (optional)", widget=DateInput(), filters=[_strip])
    carrier = SelectField("Carrier", choices=_carrier_choices(), validate_choice=False)
    other_carrier = StringField("Carrier's name (for “Other”)", filters=[_strip])
    tracking_number = StringField("Tracking number", filters=[_strip])
    key = HiddenField(validators=[Regexp(FORM_KEY, message=EXPIRED)])

    po: PurchaseOrder
    shippable: list[tuple[PurchaseOrderLine, int]]

    def line_fields(self) -> list[tuple[PurchaseOrderLine, int, Field]]:
        """Each line that can still ship, the units left and its field."""
        return [(line, left, self[quantity_name(line.id)]) for line, left in self.shippable]

    def validate_expected_on(self, field: Field) -> None:
        if not field.data:
            return
        try:
            day = date.fromisoformat(field.data)
        except ValueError:
            raise ValidationError("Enter a date like 2026-12-01.") from None
        if day < self.po.created_at.date():
            raise ValidationError("The ship date cannot be before the purchase order.")
        if day > utcnow().date() + MAX_AHEAD:
            raise ValidationError("Enter a ship date within a year.")

    def validate_carrier(self, field: Field) -> None:
        if field.data and field.data not in carriers.CARRIERS:
            raise ValidationError("Choose a carrier from the list.")

    def validate_other_carrier(self, field: Field) -> None:
        if self.carrier.data == carriers.OTHER:
            if not field.data:
                raise ValidationError("Enter the name of the carrier.")
            _check(carriers.clean_carrier, field.data)

    def validate_tracking_number(self, field: Field) -> None:
        _check(clean_vendor_tracking, field.data)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then each line's units (at most what is left), then what shipping needs."""
        valid = super().validate(extra_validators)
        if self.key.errors:  # shown again with a key that works next time
            self.key.data = new_key()
        units = 0
        for _line, left, field in self.line_fields():
            try:
                units += _units(field, left)
            except NumberError as bad:
                field.errors = [*field.errors, str(bad)]
                valid = False
        if units and not self.carrier.data:
            self.carrier.errors = [*self.carrier.errors, "Choose the carrier of the parcel."]
            valid = False
        if units and not self.tracking_number.data:
            self.tracking_number.errors = [
                *self.tracking_number.errors,
                "Enter the parcel's tracking number: the customer follows it.",
            ]
            valid = False
        return valid

    def quantities(self) -> dict[UUID, int]:
        """PO line id -> units shipped now (after ``validate``; lines with 0 left out)."""
        found = {line.id: _units(field, left) for line, left, field in self.line_fields()}
        return {line_id: units for line_id, units in found.items() if units}

    def carrier_value(self) -> str:
        """A known carrier's key, the typed name of another one, or "" (not shipped yet)."""
        if self.carrier.data == carriers.OTHER:
            return self.other_carrier.data or carriers.OTHER
        return self.carrier.data or ""

    def expected_day(self) -> date | None:
        """The expected ship date (after ``validate``), or None."""
        return date.fromisoformat(self.expected_on.data) if self.expected_on.data else None


def new_key() -> str:
    """A fresh key for one rendering of the form."""
    return secrets.token_hex(16)


def _units(field: Field, left: int) -> int:
    if not field.raw_data or not (field.data or "").strip():  # blank ships nothing
        return 0
    try:
        units = parse_whole(field.data, minimum=0)
    except NumberError:
        raise NumberError(f"Enter a whole number of units, from 0 to {left}.") from None
    if units > left:
        raise NumberError(f"Only {left:,} left to ship on this line.")
    return units


def _check(clean: Any, value: str | None) -> None:
    try:
        clean(value)
    except carriers.TrackingError as bad:
        raise ValidationError(str(bad)) from None


def reply_form(
    po: PurchaseOrder, shippable: list[tuple[PurchaseOrderLine, int]], **kwargs: Any
) -> VendorReplyForm:
    """The form for ``po``; ``shippable`` (line, units left) adds a "shipped now" field per line.

    ``kwargs`` go to the form (``formdata=None`` for a fresh form). A fresh form gets
    a new key and the PO's current answers.
    """
    fields = {
        quantity_name(line.id): StringField(
            f"{line.description} — shipped now (up to {left})",
            default="0",
            filters=[_strip],
            widget=NumberInput(min=0, max=left, step=1),
        )
        for line, left in shippable
    }
    form_class = type("PoReplyForm", (VendorReplyForm,), fields)
    if kwargs.get("formdata", ...) is None:
        kwargs.setdefault("key", new_key())
        kwargs.setdefault("expected_on", po.expected_on.isoformat() if po.expected_on else "")
    form = form_class(**kwargs)
    form.po = po
    form.shippable = shippable
    return form
