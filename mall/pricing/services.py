"""A shop's shipping methods, tax rates and "prices include tax"; the facilitator countries.

Services work in the shop in context (views run in it; tests enter it), check every
value they store (the forms check first, for the messages next to the fields), flush
and never commit. Refusals are ``PricingError`` with a message a shop owner can read;
``InvalidInput`` carries one message per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from mall.catalog.forms import TAX_CLASSES
from mall.countries import UnknownCountry, normalise_countries, normalise_country
from mall.extensions import db
from mall.money import check_amount
from mall.numbers import MAX_COUNT, check_whole
from mall.pagination import Page, paginate
from mall.pricing.engine import FACILITATOR_COUNTRIES, SHIPPING_TAX_CLASS
from mall.pricing.models import PricingSettings, ShippingKind, ShippingMethod, TaxRate
from tenants.guard import scoped_get
from tenants.settings import get_setting, put_setting

MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_TIERS = 50
MAX_RATE_BP = 10_000  # 100 %
# What a rate may be filed under: the catalog's tax classes, and shipping.
RATE_CLASSES = [*TAX_CLASSES, (SHIPPING_TAX_CLASS, "Shipping")]


class PricingError(ValueError):
    """A pricing change that cannot be made; the message says why."""


class InvalidInput(PricingError):
    """The input has problems: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class MethodInput:
    """A shipping method's fields as typed (amounts already in minor units)."""

    name: str
    kind: str
    price: int = 0
    free_above: int | None = None
    countries: list[str] = field(default_factory=list)
    tiers: list[tuple[int, int]] = field(default_factory=list)  # (up_to_grams, price)
    position: int = 0
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class RateInput:
    """A tax rate's fields as typed."""

    tax_class: str
    country: str
    rate_bp: int
    name: str = ""


# ---------------------------------------------------------------- reading


def get_method(method_id: object) -> ShippingMethod | None:
    """A shipping method of the shop in context, or None (another shop's id is None too)."""
    return scoped_get(ShippingMethod, method_id)  # type: ignore[arg-type]


def get_rate(rate_id: object) -> TaxRate | None:
    """A tax rate of the shop in context, or None."""
    return scoped_get(TaxRate, rate_id)  # type: ignore[arg-type]


def method_list(*, page: int = 1, per_page: int = 25) -> Page:
    """One page of the shop's shipping methods, in their order."""
    statement = sa.select(ShippingMethod).order_by(
        ShippingMethod.position, ShippingMethod.name, ShippingMethod.id
    )
    return paginate(statement, page=page, per_page=per_page)


def rate_list(*, page: int = 1, per_page: int = 25) -> Page:
    """One page of the shop's tax rates, by country then tax class."""
    statement = sa.select(TaxRate).order_by(TaxRate.country, TaxRate.tax_class, TaxRate.id)
    return paginate(statement, page=page, per_page=per_page)


def prices_include_tax() -> bool:
    """True when the shop in context lists prices with tax included."""
    row = db.session.scalar(sa.select(PricingSettings))
    return bool(row and row.prices_include_tax)


# ---------------------------------------------------------------- shipping methods


def _check_method(data: MethodInput) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Enter a name of 1 to {MAX_NAME} characters."
    values["name"] = name
    try:
        kind = ShippingKind(data.kind)
    except ValueError:
        errors["kind"] = "Choose one of the kinds listed."
        kind = ShippingKind.FLAT
    values["kind"] = kind
    if message := check_amount(data.price):
        errors["price"] = message
    values["price"] = 0 if kind in (ShippingKind.FREE, ShippingKind.PICKUP) else data.price
    if data.free_above is not None and (message := check_amount(data.free_above)):
        errors["free_above"] = message
    values["free_above"] = None if kind == ShippingKind.PICKUP else data.free_above
    try:
        values["countries"] = normalise_countries(data.countries)
    except UnknownCountry as error:
        errors["countries"] = str(error)
    tiers = list(data.tiers) if kind == ShippingKind.WEIGHT else []
    if message := _check_tiers(tiers, required=kind == ShippingKind.WEIGHT):
        errors["tiers"] = message
    values["tiers"] = [{"up_to_grams": grams, "price": price} for grams, price in tiers]
    if message := check_whole(data.position, maximum=MAX_COUNT):
        errors["position"] = message
    values["position"] = data.position
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description within {MAX_DESCRIPTION} characters."
    if kind == ShippingKind.PICKUP and not description:
        errors["description"] = "Enter the pickup address: customers see it."
    values["description"] = description
    values["active"] = bool(data.active)
    if errors:
        raise InvalidInput(errors)
    return values


def _check_tiers(tiers: list[tuple[int, int]], *, required: bool) -> str | None:
    if required and not tiers:
        return "Enter at least one weight tier."
    if len(tiers) > MAX_TIERS:
        return f"Enter at most {MAX_TIERS} tiers."
    last = 0
    for number, (grams, price) in enumerate(tiers, start=1):
        if message := check_whole(grams, minimum=1):
            return f"Tier {number}: weight. {message}"
        if grams <= last:
            return f"Tier {number}: the weights must increase from one tier to the next."
        if message := check_amount(price):
            return f"Tier {number}: price. {message}"
        last = grams
    return None


def _name_taken(name: str, *, other_than: ShippingMethod | None = None) -> bool:
    same = sa.func.lower(ShippingMethod.name) == name.lower()
    statement = sa.select(ShippingMethod.id).where(same)
    if other_than is not None:
        statement = statement.where(ShippingMethod.id != other_than.id)
    return db.session.scalar(statement.limit(1)) is not None


def create_method(data: MethodInput) -> ShippingMethod:
    """Add a shipping method to the shop in context (a name already used is refused)."""
    values = _check_method(data)
    if _name_taken(values["name"]):
        raise InvalidInput({"name": f"This shop has a method named “{values['name']}” already."})
    method = ShippingMethod(**values)
    db.session.add(method)
    db.session.flush()
    return method


def update_method(method: ShippingMethod, data: MethodInput) -> bool:
    """Change a method's fields; False when they already were so."""
    values = _check_method(data)
    if _name_taken(values["name"], other_than=method):
        raise InvalidInput({"name": f"This shop has a method named “{values['name']}” already."})
    changed = False
    for name, value in values.items():
        if getattr(method, name) != value:
            setattr(method, name, value)
            changed = True
    db.session.flush()
    return changed


def set_method_active(method: ShippingMethod, *, active: bool) -> bool:
    """Offer a method again or stop offering it; False when it already was so."""
    if method.active == active:
        return False
    method.active = active
    db.session.flush()
    return True


def delete_method(method: ShippingMethod) -> None:
    """Delete a method: it stops being offered (orders keep their own snapshot of it)."""
    db.session.delete(method)
    db.session.flush()


# ---------------------------------------------------------------- tax rates


def parse_rate(text: str | None) -> int:
    """``"19"`` or ``"7.5 %"`` -> basis points (1900, 750); raises ``PricingError``."""
    raw = (text or "").strip().rstrip("%").strip()
    if len(raw) > 12:
        raise PricingError("Enter a rate from 0 to 100 %, such as 19 or 7.5.")
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        raise PricingError("Enter a rate from 0 to 100 %, such as 19 or 7.5.") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise PricingError("Enter a rate from 0 to 100 %, such as 19 or 7.5.")
    bp = percent * 100
    if bp != bp.to_integral_value():
        raise PricingError("Use at most two decimal places in the rate.")
    return int(bp)


def _check_rate(data: RateInput) -> dict:
    errors: dict[str, str] = {}
    tax_class = (data.tax_class or "").strip()
    if tax_class not in dict(RATE_CLASSES):
        errors["tax_class"] = "Choose one of the tax classes listed."
    country = ""
    try:
        country = normalise_country(data.country)
    except UnknownCountry as error:
        errors["country"] = str(error)
    if check_whole(data.rate_bp, maximum=MAX_RATE_BP):
        errors["rate"] = "Enter a rate from 0 to 100 %, such as 19 or 7.5."
    name = (data.name or "").strip()
    if len(name) > MAX_NAME:
        errors["name"] = f"Keep the name within {MAX_NAME} characters."
    if errors:
        raise InvalidInput(errors)
    return {"tax_class": tax_class, "country": country, "rate_bp": data.rate_bp, "name": name}


def _rate_taken(values: dict, *, other_than: TaxRate | None = None) -> bool:
    statement = sa.select(TaxRate.id).where(
        TaxRate.tax_class == values["tax_class"], TaxRate.country == values["country"]
    )
    if other_than is not None:
        statement = statement.where(TaxRate.id != other_than.id)
    return db.session.scalar(statement.limit(1)) is not None


def _taken_message(values: dict) -> InvalidInput:
    return InvalidInput(
        {"country": "This shop has a rate for this tax class and country already: edit that one."}
    )


def add_rate(data: RateInput) -> TaxRate:
    """Add a tax rate for a (tax class, country) the shop has no rate for yet."""
    values = _check_rate(data)
    if _rate_taken(values):
        raise _taken_message(values)
    rate = TaxRate(**values)
    db.session.add(rate)
    db.session.flush()
    return rate


def update_rate(rate: TaxRate, data: RateInput) -> bool:
    """Change a tax rate; False when it already was so."""
    values = _check_rate(data)
    if _rate_taken(values, other_than=rate):
        raise _taken_message(values)
    changed = False
    for name, value in values.items():
        if getattr(rate, name) != value:
            setattr(rate, name, value)
            changed = True
    db.session.flush()
    return changed


def delete_rate(rate: TaxRate) -> None:
    """Delete a tax rate: that class is untaxed for that country from now on."""
    db.session.delete(rate)
    db.session.flush()


def set_prices_include_tax(include: bool) -> bool:
    """Say whether the shop in context lists prices with tax; False when it already was so."""
    row = db.session.scalar(sa.select(PricingSettings))
    if row is None:
        if not include:
            return False
        db.session.add(PricingSettings(prices_include_tax=True))
    elif row.prices_include_tax == include:
        return False
    else:
        row.prices_include_tax = include
    db.session.flush()
    return True


# ---------------------------------------------------------------- platform (operators)


def facilitator_countries() -> list[str]:
    """The countries where the platform collects tax as marketplace facilitator."""
    return list(get_setting(FACILITATOR_COUNTRIES, None) or [])


def set_facilitator_countries(codes: list[str]) -> bool:
    """Set the facilitator countries (known codes only); False when they already were so."""
    try:
        countries = normalise_countries(codes)
    except UnknownCountry as error:
        raise InvalidInput({"countries": str(error)}) from None
    if countries == facilitator_countries():
        return False
    put_setting(FACILITATOR_COUNTRIES, countries)
    return True
