"""Forms of the shipping and tax pages: amounts, weights and rates parsed here, with messages.

Tiers are typed one per line (``500 4.50``: up to 500 g for $4.50), so the page works
without JavaScript. Countries are plain selects of pycountry's names; the services
refuse codes that are not countries.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf

from mall.catalog.forms import choices
from mall.countries import country_choices
from mall.money import MoneyError, parse_money, to_decimal_text
from mall.numbers import NumberError, parse_whole
from mall.pricing import services
from mall.pricing.models import ShippingKind, ShippingMethod, TaxRate

KINDS = [
    (ShippingKind.FLAT.value, "Flat rate"),
    (ShippingKind.WEIGHT.value, "By weight (tiers)"),
    (ShippingKind.FREE.value, "Free shipping"),
    (ShippingKind.PICKUP.value, "Local pickup"),
]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class MethodForm(FlaskForm):
    """A shipping method; ``to_input()`` parses it (None, with field errors, when it cannot)."""

    name = StringField("Name", filters=[_strip])
    kind = SelectField("Kind", choices=choices(KINDS), validate_choice=False)
    price = StringField("Price", filters=[_strip])
    free_above = StringField("Free when the order reaches (optional)", filters=[_strip])
    countries = SelectMultipleField(
        "Countries served (none chosen: every country)", validate_choice=False
    )
    tiers = TextAreaField("Weight tiers, one per line: up to grams, then price", filters=[_strip])
    position = StringField("Position in the list", filters=[_strip], default="0")
    description = TextAreaField("Description (for pickup: the address)", filters=[_strip])
    active = BooleanField("Offered to customers", default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries.choices = choices(list(country_choices()))

    def fill(self, method: ShippingMethod) -> None:
        """Show a saved method's values (GET of the edit page)."""
        self.name.data = method.name
        self.kind.data = method.kind.value
        self.price.data = to_decimal_text(method.price)
        self.free_above.data = to_decimal_text(method.free_above)
        self.countries.data = list(method.countries or [])
        self.tiers.data = "\n".join(
            f"{tier['up_to_grams']} {to_decimal_text(tier['price'])}" for tier in method.tiers
        )
        self.position.data = str(method.position)
        self.description.data = method.description
        self.active.data = method.active

    def to_input(self) -> services.MethodInput | None:
        """The parsed input, or None with messages on the fields."""
        if not self.validate():
            return None
        price = self._money(self.price, required=self.kind.data in ("flat",))
        free_above = self._money(self.free_above) if self.free_above.data else None
        tiers = self._tiers() if self.kind.data == ShippingKind.WEIGHT.value else []
        try:
            position = parse_whole(self.position.data or "0")
        except NumberError as error:
            self.position.errors = [str(error)]
            position = 0
        if any(field.errors for field in self):
            return None
        return services.MethodInput(
            name=self.name.data or "",
            kind=self.kind.data or "",
            price=price or 0,
            free_above=free_above,
            countries=list(self.countries.data or []),
            tiers=tiers,
            position=position,
            description=self.description.data or "",
            active=bool(self.active.data),
        )

    def _money(self, field: Any, *, required: bool = False) -> int | None:
        if not field.data and not required:
            return 0
        try:
            return parse_money(field.data)
        except MoneyError as error:
            field.errors = [str(error)]
            return None

    def _tiers(self) -> list[tuple[int, int]]:
        tiers = []
        for number, row in enumerate((self.tiers.data or "").splitlines(), start=1):
            if not row.strip():
                continue
            parts = row.split()
            if len(parts) != 2:
                self.tiers.errors = [f"Line {number}: write the grams, a space, then the price."]
                return []
            try:
                tiers.append((parse_whole(parts[0], minimum=1), parse_money(parts[1])))
            except (NumberError, MoneyError) as error:
                self.tiers.errors = [f"Line {number}: {error}"]
                return []
        return tiers

    def file_errors(self, errors: dict[str, str]) -> None:
        """Show a service's refusals next to the fields."""
        for name, message in errors.items():
            getattr(self, name).errors = [message]


class RateForm(FlaskForm):
    """A tax rate: tax class, destination country, percent."""

    tax_class = SelectField(
        "Tax class", choices=choices(services.RATE_CLASSES), validate_choice=False
    )
    country = SelectField("Destination country", validate_choice=False)
    rate = StringField("Rate (%)", filters=[_strip])
    name = StringField("Name shown on receipts (optional)", filters=[_strip])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", "Choose a country"), *country_choices()])

    def fill(self, rate: TaxRate) -> None:
        """Show a saved rate's values."""
        self.tax_class.data = rate.tax_class
        self.country.data = rate.country
        self.rate.data = f"{rate.rate_bp / 100:g}"
        self.name.data = rate.name

    def to_input(self) -> services.RateInput | None:
        """The parsed input, or None with messages on the fields."""
        if not self.validate():
            return None
        try:
            rate_bp = services.parse_rate(self.rate.data)
        except services.PricingError as error:
            self.rate.errors = [str(error)]
            return None
        return services.RateInput(
            tax_class=self.tax_class.data or "",
            country=self.country.data or "",
            rate_bp=rate_bp,
            name=self.name.data or "",
        )

    def file_errors(self, errors: dict[str, str]) -> None:
        """Show a service's refusals next to the fields."""
        for name, message in errors.items():
            getattr(self, name).errors = [message]


class TaxSettingsForm(FlaskForm):
    """The shop's "prices include tax" toggle."""

    prices_include_tax = BooleanField("My prices include tax")


class ActiveForm(FlaskForm):
    """Offer a method again or stop offering it (the wanted state: repeating changes nothing)."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])


class ConfirmForm(FlaskForm):
    """A delete confirmation (CSRF only)."""


class FacilitatorForm(FlaskForm):
    """The operator's marketplace facilitator countries."""

    countries = SelectMultipleField(
        "Countries where the platform collects tax", validate_choice=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries.choices = choices(list(country_choices()))
