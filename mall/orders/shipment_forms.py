"""The order page's "Record a shipment" form: units per line, carrier, tracking, date.

Every field is read as text and checked here with the same rules as the
service (``mall.orders.carriers`` for the carrier, number and link), so a bad
value is a message beside its field and the page keeps what was typed. One
quantity field per line still to ship is added per order (``shipment_form``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Regexp, ValidationError
from wtforms.widgets import DateInput, NumberInput, URLInput

from mall.db import utcnow
from mall.numbers import NumberError, parse_whole
from mall.orders import carriers
from mall.orders.fulfilment import REQUEST_KEY
from mall.orders.models import Order
from mall.orders.shipment_queries import ShippableLine

PREFIX = "ship"  # field names and ids apart from the order page's other forms
QUANTITY_PREFIX = "qty_"
EXPIRED = "This form had expired: check the details and record the shipment again."


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def new_request_key() -> str:
    """A fresh key for one rendering of the form: submitting it twice ships once."""
    return secrets.token_urlsafe(16)


def quantity_name(line_id: UUID) -> str:
    """The form field of an order line's units."""
    return f"{QUANTITY_PREFIX}{line_id.hex}"


def _today() -> date:
    return utcnow().date()


class ShipmentForm(FlaskForm):
    """What went in one parcel; build it with ``shipment_form`` (it adds the quantities)."""

    carrier = SelectField(
        "Carrier",
        choices=[SelectChoice(key, name) for key, name in carriers.carrier_choices()],
        default="ups",
        validate_choice=False,
    )
    other_carrier = StringField("Carrier's name (for “Other”)", filters=[_strip])
    tracking_number = StringField("Tracking number (optional)", filters=[_strip])
    tracking_link = StringField("Tracking link (optional)", widget=URLInput(), filters=[_strip])
    shipped_on = StringField(
        "Shipped on", widget=DateInput(), filters=[_strip], default=lambda: _today().isoformat()
    )
    request_key = HiddenField(
        default=new_request_key,
        validators=[Regexp(rf"(?:{REQUEST_KEY.pattern})\Z", message=EXPIRED)],
    )

    shippable: list[ShippableLine]
    placed_on: date

    def line_fields(self) -> list[tuple[ShippableLine, Field]]:
        """Each line still to ship with its quantity field, in the order's order."""
        return [(item, self[quantity_name(item.line.id)]) for item in self.shippable]

    def validate_carrier(self, field: Field) -> None:
        if field.data not in carriers.CARRIERS:
            raise ValidationError("Choose a carrier from the list.")

    def validate_other_carrier(self, field: Field) -> None:
        if self.carrier.data == carriers.OTHER:
            if not (field.data or "").strip():
                raise ValidationError("Enter the name of the carrier.")
            _check(carriers.clean_carrier, field.data)

    def validate_tracking_number(self, field: Field) -> None:
        _check(carriers.clean_tracking_number, field.data)

    def validate_tracking_link(self, field: Field) -> None:
        _check(carriers.clean_tracking_link, field.data)

    def validate_shipped_on(self, field: Field) -> None:
        try:
            day = date.fromisoformat(field.data or "")
        except ValueError:
            raise ValidationError("Enter the date it shipped, like 2026-11-29.") from None
        if day > _today() + timedelta(days=1):
            raise ValidationError("The shipping date cannot be in the future.")
        if day < self.placed_on:
            raise ValidationError(
                f"The order was placed on {self.placed_on:%Y-%m-%d}: it cannot have shipped before."
            )

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then each line's units (at most what is left), then at least one unit."""
        valid = super().validate(extra_validators)
        if self.request_key.errors:  # shown again with a key that works next time
            self.request_key.data = new_request_key()
        units = 0
        for item, field in self.line_fields():
            try:
                units += self._units(field, item.left)
            except NumberError as bad:
                field.errors = [*field.errors, str(bad)]
                valid = False
        if valid and units == 0:
            self.form_errors.append("Choose at least one item to ship.")
            valid = False
        return valid

    @staticmethod
    def _units(field: Field, left: int) -> int:
        if not field.raw_data:  # a line missing from the POST ships nothing
            return 0
        try:
            units = parse_whole(field.data, minimum=0)
        except NumberError:
            raise NumberError(f"Enter a whole number of units, from 0 to {left}.") from None
        if units > left:
            raise NumberError(f"Only {left} left to ship.")
        return units

    def quantities(self) -> dict[UUID, int]:
        """Order line id -> units to ship (after ``validate``)."""
        return {item.line.id: self._units(field, item.left) for item, field in self.line_fields()}

    def carrier_value(self) -> str:
        """A known carrier's key, or the typed name of another one."""
        if self.carrier.data == carriers.OTHER:
            return self.other_carrier.data or carriers.OTHER
        return self.carrier.data

    def shipped_at(self, order: Order) -> datetime:
        """Today (or the shop's today, a day ahead): now; an earlier day: its noon, UTC."""
        day = date.fromisoformat(self.shipped_on.data)
        if day >= _today():
            return utcnow()
        return max(datetime.combine(day, time(12), tzinfo=UTC), order.placed_at)


def _check(clean: Any, value: str | None) -> None:
    try:
        clean(value)
    except carriers.TrackingError as bad:
        raise ValidationError(str(bad)) from None


def shipment_form(order: Order, shippable: list[ShippableLine], **kwargs: Any) -> ShipmentForm:
    """The form for ``order`` with a quantity per line still to ship (default: all that is left).

    ``kwargs`` go to the form (``formdata=None`` for a fresh form on a page that
    answers another form's POST).
    """
    fields = {
        quantity_name(item.line.id): StringField(
            _line_label(item),
            default=str(item.left),
            filters=[_strip],
            widget=NumberInput(min=0, max=item.left, step=1),
        )
        for item in shippable
    }
    form_class = type("OrderShipmentForm", (ShipmentForm,), fields)
    form = form_class(prefix=PREFIX, **kwargs)
    form.shippable = shippable
    form.placed_on = order.placed_at.date()
    return form


def _line_label(item: ShippableLine) -> str:
    line = item.line
    name = f"{line.title} ({line.options})" if line.options else line.title
    return f"{name} — SKU {line.sku}"
