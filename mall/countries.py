"""Countries (ISO 3166-1 alpha-2, from pycountry): names for selects and messages, validation.

One list for the whole mall: the cart's ship-to country, addresses, shipping zones.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache

import pycountry
from markupsafe import Markup


class UnknownCountry(ValueError):
    """A country code that is not an ISO 3166-1 alpha-2 code; the message names it."""


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """``(("AF", "Afghanistan"), …)`` sorted by name, for select fields."""
    pairs = ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries)
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


@cache
def _names() -> dict[str, str]:
    return dict(country_choices())


def country_name(code: str) -> str:
    """``"JP"`` -> ``"Japan"`` (an unknown code is shown as it is)."""
    return _names().get((code or "").upper(), code)


def normalise_country(code: str | None) -> str:
    """``" de "`` -> ``"DE"``; raises ``UnknownCountry`` for anything but a known code."""
    value = (code or "").strip().upper()
    if value not in _names():
        shown = (code or "").strip()[:20]
        raise UnknownCountry(f"“{shown}” is not a country code we know (such as DE or US).")
    return value


def normalise_countries(codes: Iterable[str]) -> list[str]:
    """Known codes, upper case, without duplicates, sorted; raises ``UnknownCountry``."""
    return sorted({normalise_country(code) for code in codes if (code or "").strip()})


def is_country(code: object) -> bool:
    """True for an ISO 3166-1 alpha-2 code pycountry knows (any case)."""
    return isinstance(code, str) and code.strip().upper() in _names()


@lru_cache(maxsize=512)
def country_options(selected: str | None = None) -> Markup:
    """``<option>`` elements of every country (``selected`` marked), for a ``<select>``.

    A page that offers the whole list renders about 250 options; made once per
    chosen country and kept, they cost nothing per request.
    """
    chosen = (selected or "").upper()
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            code, Markup(" selected") if code == chosen else "", name
        )
        for code, name in country_choices()
    )
