"""The shipping and tax back office: methods, tiers, rates, the tax toggle, bad input, roles,
another shop's ids, and the operator's facilitator countries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.pricing import services
from mall.pricing.models import PricingSettings, ShippingMethod, TaxRate
from mall.shops.models import Membership, Role
from tenants.context import all_tenants, tenant_context

SHIPPING = "/shop/shop-a/admin/shipping"
TAX = "/shop/shop-a/admin/tax"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def method_form(**fields) -> dict:
    data = {
        "name": "Standard post",
        "kind": "flat",
        "price": "4.90",
        "free_above": "",
        "tiers": "",
        "position": "0",
        "description": "",
        "active": "y",
    }
    data.update(fields)
    return data


def methods(shop) -> list[ShippingMethod]:
    db.session.expire_all()  # what the requests committed
    with tenant_context(shop):
        return list(db.session.scalars(sa.select(ShippingMethod).order_by(ShippingMethod.name)))


def rates(shop) -> list[TaxRate]:
    db.session.expire_all()
    with tenant_context(shop):
        return list(db.session.scalars(sa.select(TaxRate)))


def test_an_owner_adds_edits_pauses_and_deletes_a_method(client, shop_a, member_of_a, no_csrf):
    page = client.get(SHIPPING)
    assert page.status_code == 200 and "No shipping methods yet" in page.text
    assert client.get(SHIPPING + "/new").status_code == 200
    data = method_form(countries=["DE", "FR"], free_above="50")
    response = client.post(SHIPPING + "/new", data=data)
    assert response.status_code == 303
    # A double submit adds nothing: the name is taken.
    again = client.post(SHIPPING + "/new", data=data)
    assert again.status_code == 400 and "already" in again.text
    [method] = methods(shop_a)
    assert (method.price, method.free_above, method.countries) == (490, 5000, ["DE", "FR"])
    listing = client.get(SHIPPING).text
    assert "Standard post" in listing and "Germany, France" in listing and "$4.90" in listing

    edit = f"{SHIPPING}/{method.id}"
    assert "4.90" in client.get(edit).text
    weight = method_form(kind="weight", tiers="500 4.50\n2000 9", name="By weight")
    assert client.post(edit, data=weight).status_code == 303
    db.session.expire_all()
    with tenant_context(shop_a):
        method = services.get_method(method.id)
        assert method.tiers == [
            {"up_to_grams": 500, "price": 450},
            {"up_to_grams": 2000, "price": 900},
        ]
        assert method.countries == []

    assert client.post(f"{edit}/active", data={"active": "0"}).status_code == 303
    assert client.post(f"{edit}/active", data={"active": "0"}).status_code == 303  # no-op
    assert not methods(shop_a)[0].active
    assert "already was no longer offered" in client.get(SHIPPING).text

    assert "Delete “By weight”?" in client.get(f"{edit}/delete").text
    assert client.post(f"{edit}/delete").status_code == 303
    assert methods(shop_a) == []
    assert client.post(f"{edit}/delete").status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "-1"}, "Enter an amount of zero or more."),
        ({"price": "99999999999999"}, "Enter an amount of at most"),
        ({"price": "abc"}, "Enter an amount such as 12.50."),
        ({"name": ""}, "Enter a name of 1 to 100 characters."),
        ({"name": "x" * 101}, "Enter a name of 1 to 100 characters."),
        ({"kind": "teleport"}, "Choose one of the kinds listed."),
        ({"kind": "weight", "tiers": "2000 9\n500 4"}, "the weights must increase"),
        ({"kind": "weight", "tiers": ""}, "Enter at least one weight tier."),
        ({"kind": "weight", "tiers": "500"}, "Line 1: write the grams"),
        ({"kind": "weight", "tiers": "99999999999 1"}, "Line 1: Enter a whole number"),
        ({"kind": "weight", "tiers": "500 -1"}, "Line 1: Enter an amount of zero or more."),
        ({"countries": ["XX"]}, "is not a country code we know"),
        ({"position": "99999999999999999999999"}, "Enter a whole number"),
        ({"kind": "pickup", "description": ""}, "Enter the pickup address"),
    ],
)
def test_bad_method_input_saves_nothing(client, shop_a, member_of_a, no_csrf, fields, message):
    response = client.post(SHIPPING + "/new", data=method_form(**fields))
    assert response.status_code == 400
    assert message in response.text
    assert methods(shop_a) == []


def test_nul_bytes_are_refused(client, shop_a, member_of_a, no_csrf):
    response = client.post(SHIPPING + "/new", data=method_form(name="Post\x00"))
    assert response.status_code == 400
    assert methods(shop_a) == []


def test_tax_rates_and_the_inclusive_toggle(client, shop_a, member_of_a, no_csrf):
    assert "No tax rates yet" in client.get(TAX).text
    data = {"tax_class": "standard", "country": "DE", "rate": "19", "name": "MwSt"}
    assert client.post(TAX + "/new", data=data).status_code == 303
    again = client.post(TAX + "/new", data=data)
    assert again.status_code == 400 and "already" in again.text
    [rate] = rates(shop_a)
    assert (rate.tax_class, rate.country, rate.rate_bp) == ("standard", "DE", 1900)
    page = client.get(TAX).text
    assert "Germany" in page and "19 %" in page
    edit = f"{TAX}/{rate.id}"
    assert 'value="19"' in client.get(edit).text
    assert client.post(edit, data={**data, "rate": "7.5"}).status_code == 303
    assert rates(shop_a)[0].rate_bp == 750

    assert client.post(TAX + "/settings", data={"prices_include_tax": "y"}).status_code == 303
    assert client.post(TAX + "/settings", data={"prices_include_tax": "y"}).status_code == 303
    with tenant_context(shop_a):
        assert services.prices_include_tax()
        assert len(db.session.scalars(sa.select(PricingSettings)).all()) == 1
    assert client.post(TAX + "/settings", data={}).status_code == 303
    with tenant_context(shop_a):
        assert not services.prices_include_tax()

    assert client.post(f"{edit}/delete").status_code == 303
    assert rates(shop_a) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rate": "101"}, "Enter a rate from 0 to 100 %"),
        ({"rate": "-1"}, "Enter a rate from 0 to 100 %"),
        ({"rate": "1e400"}, "Enter a rate from 0 to 100 %"),
        ({"rate": "nan"}, "Enter a rate from 0 to 100 %"),
        ({"rate": "7.125"}, "at most two decimal places"),
        ({"country": "XX"}, "is not a country code we know"),
        ({"country": ""}, "is not a country code we know"),
        ({"tax_class": "luxury"}, "Choose one of the tax classes listed."),
    ],
)
def test_bad_rate_input_saves_nothing(client, shop_a, member_of_a, no_csrf, fields, message):
    data = {"tax_class": "standard", "country": "DE", "rate": "19", "name": "", **fields}
    response = client.post(TAX + "/new", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert rates(shop_a) == []


def test_another_shops_ids_answer_404(client, shop_a, shop_b, member_of_a, no_csrf):
    with tenant_context(shop_b):
        method_id = services.create_method(
            services.MethodInput(name="B post", kind="flat", price=100)
        ).id
        rate_id = services.add_rate(
            services.RateInput(tax_class="standard", country="DE", rate_bp=1900)
        ).id
        db.session.commit()
    for url in (f"{SHIPPING}/{method_id}", f"{SHIPPING}/{method_id}/delete", f"{TAX}/{rate_id}"):
        assert client.get(url).status_code == 404
    assert client.post(f"{SHIPPING}/{method_id}/active", data={"active": "0"}).status_code == 404
    assert client.post(f"{SHIPPING}/{method_id}/delete").status_code == 404
    assert client.post(f"{TAX}/{rate_id}/delete").status_code == 404
    with all_tenants("test: shop B's rows are untouched"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ShippingMethod)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TaxRate)) == 1


def test_staff_see_the_lists_but_cannot_change(client, shop_a, make_user, sign_in, no_csrf):
    staff = make_user("staff@example.com")
    db.session.add(Membership(user_id=staff.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(staff)
    assert client.get(SHIPPING).status_code == 200
    assert "New shipping method" not in client.get(SHIPPING).text
    assert client.get(TAX).status_code == 200
    assert client.get(SHIPPING + "/new").status_code == 403
    assert client.post(SHIPPING + "/new", data=method_form()).status_code == 403
    assert client.post(TAX + "/settings", data={"prices_include_tax": "y"}).status_code == 403
    assert methods(shop_a) == []


def test_the_back_office_links_the_pages(client, shop_a, member_of_a):
    page = client.get("/shop/shop-a/admin/").text
    assert 'href="/shop/shop-a/admin/shipping"' in page and 'href="/shop/shop-a/admin/tax"' in page


def test_operators_set_the_facilitator_countries(client, operator, sign_in, no_csrf):
    sign_in(operator)
    assert client.get("/admin/tax/").status_code == 200
    assert client.post("/admin/tax/", data={"countries": ["US", "gb"]}).status_code == 303
    assert services.facilitator_countries() == ["GB", "US"]
    bad = client.post("/admin/tax/", data={"countries": ["ZZ"]})
    assert bad.status_code == 400 and "is not a country code we know" in bad.text
    assert services.facilitator_countries() == ["GB", "US"]


def test_only_operators_reach_the_facilitator_page(client, member_of_a):
    assert client.get("/admin/tax/").status_code == 403
