"""One list of countries: names, validation, and the select's options."""

from __future__ import annotations

import pytest

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
