"""One list of countries: names, validation, and the select's options."""

from __future__ import annotations

import pytest

from mall.accounts.addresses import PostalAddress
from mall.countries import (
    UnknownCountry,
    country_name,
    country_options,
    is_country,
    normalise_country,
)


def test_names_and_validation():
    assert country_name("de") == "Germany" and country_name("XX") == "XX"
    assert is_country("gb") and not is_country("XX") and not is_country(None)
    assert normalise_country(" jp ") == "JP"
    with pytest.raises(UnknownCountry, match="not a country code"):
        normalise_country("Atlantis")


def test_options_mark_the_chosen_country_only():
    html = str(country_options("fr"))
    assert html.count("<option") > 240
    assert html.count(" selected") == 1 and '<option value="FR" selected>France</option>' in html
    assert " selected" not in str(country_options(None))


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("GB", ["Ada Lovelace", "48 Larkspur Crescent", "Flat 3", "Whitby", "YO21 3PZ"]),
        ("US", ["Ada Lovelace", "48 Larkspur Crescent", "Flat 3", "Whitby, NY YO21 3PZ"]),
        ("DE", ["Ada Lovelace", "48 Larkspur Crescent", "Flat 3", "YO21 3PZ Whitby"]),
    ],
)
def test_an_address_prints_in_its_countrys_order_name_first_country_last(country, expected):
    address = PostalAddress(
        name="Ada Lovelace",
        line1="48 Larkspur Crescent",
        line2="Flat 3",
        city="Whitby",
        region="NY",
        postal_code="YO21 3PZ",
        country=country,
    )
    assert address.lines() == [*expected, country_name(country)]
