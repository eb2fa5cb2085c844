"""The back office's add-or-edit round trip (``mall.form_flow``), on the shipping methods and
tax rates pages: what it says after a save and after a save that changed nothing, and a unique
value another request took between the service's check and the insert."""

from __future__ import annotations

import pytest

from mall.pricing import services
from tests.mall.test_pricing_admin import SHIPPING, TAX, method_form, methods, rates


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def test_a_save_says_whether_it_changed_anything(client, shop_a, member_of_a, no_csrf):
    assert client.post(SHIPPING + "/new", data=method_form()).status_code == 303
    [method] = methods(shop_a)
    edit = f"{SHIPPING}/{method.id}"

    same = client.post(edit, data=method_form(), follow_redirects=True)
    assert "“Standard post” is unchanged." in same.text
    renamed = client.post(edit, data=method_form(name="Express"), follow_redirects=True)
    assert "“Express” is saved." in renamed.text
    assert [method.name for method in methods(shop_a)] == ["Express"]


def test_a_name_taken_meanwhile_is_shown_on_the_form_and_nothing_is_saved(
    client, shop_a, member_of_a, no_csrf, monkeypatch
):
    assert client.post(SHIPPING + "/new", data=method_form()).status_code == 303
    # The other request committed after this one's check: only the unique index sees it.
    monkeypatch.setattr(services, "_name_taken", lambda *args, **kwargs: False)

    again = client.post(SHIPPING + "/new", data=method_form(price="5.90"))

    assert again.status_code == 400
    assert "Another change used this name; please try again." in again.text
    assert [method.price for method in methods(shop_a)] == [490]


def test_a_rate_is_named_by_its_country(client, shop_a, member_of_a, no_csrf):
    data = {"tax_class": "standard", "country": "DE", "rate": "19", "name": ""}

    added = client.post(TAX + "/new", data=data, follow_redirects=True)

    assert "The rate for Germany is added." in added.text
    assert [(rate.country, rate.rate_bp) for rate in rates(shop_a)] == [("DE", 1900)]
