"""A shop's affiliate terms and product rates, through its back office."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from affiliates.models import AffiliateProductRate, RateKind
from affiliates.programs.rates import PRODUCT, Rate
from affiliates.programs.terms import get_terms, product_rate
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.support.shopping import stock_shop

TERMS = "/shop/shop-a/admin/affiliates/"
PRODUCTS = "/shop/shop-a/admin/affiliates/products"

FORM = {
    "in_mall_program": "y",
    "rate_kind": "",
    "rate_value": "",
}


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(member_of_a, no_csrf):
    return member_of_a


def member(shop, make_user, sign_in, role: Role, email: str):
    user = make_user(email)
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    sign_in(user)
    return user


def terms_of(shop):
    with tenant_context(shop):
        return get_terms()


def rate_of(shop, product_id):
    with tenant_context(shop):
        return product_rate(product_id)


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- terms


def test_a_shop_without_terms_is_in_the_mall_program_at_the_mall_rate(client, owner, shop_a):
    page = client.get(TERMS)
    assert page.status_code == 200
    html = text(page)
    assert "The mall&#39;s rate (5%)" in html or "The mall's rate (5%)" in html
    [checkbox] = re.findall(r"<input[^>]*id=\"in_mall_program\"[^>]*>", html)
    assert "checked" in checkbox
    assert terms_of(shop_a) is None


def test_the_owner_opts_out_and_sets_the_shops_own_rate(client, owner, shop_a):
    form = {"rate_kind": "percent", "rate_value": "8", "include_shipping": "y"}
    response = client.post(TERMS, data=form)
    assert response.status_code == 303
    assert "Affiliate terms saved" in text(client.get(response.headers["Location"]))
    terms = terms_of(shop_a)
    assert terms.in_mall_program is False
    assert (terms.rate_kind, terms.rate_bp) == (RateKind.PERCENT, 800)
    assert terms.include_shipping is True
    [event] = audits("affiliates.terms_updated")
    assert event.actor_id == owner.id
    assert event.target_id == str(shop_a.id)
    assert event.details["changed"]["rate"] == [None, "8%"]
    assert event.details["changed"]["in_mall_program"] == [True, False]
    again = client.post(TERMS, data=form)  # a second click
    assert "nothing changed" in text(client.get(again.headers["Location"]))
    assert len(audits("affiliates.terms_updated")) == 1
    shown = text(client.get(TERMS))
    assert 'value="8"' in shown


def test_choosing_the_mall_rate_again_clears_the_shops_own(client, owner, shop_a):
    client.post(TERMS, data={**FORM, "rate_kind": "fixed", "rate_value": "2.50"})
    assert terms_of(shop_a).rate_fixed == 250
    client.post(TERMS, data={**FORM, "rate_value": "2.50"})  # the kind back to "the mall's"
    terms = terms_of(shop_a)
    assert (terms.rate_kind, terms.rate_bp, terms.rate_fixed) == (None, 0, 0)


@pytest.mark.parametrize(
    ("kind", "typed", "message"),
    [
        ("percent", "-5", "between 0 and 100"),
        ("percent", "150", "between 0 and 100"),
        ("percent", "", "as a number"),
        ("percent", "12.345", "at most 2 decimals"),
        ("fixed", "0", "above zero"),
        ("fixed", "-1", "zero or more"),
        ("fixed", "99999999999999999", "at most"),
        ("fixed", "lots", "such as 12.50"),
        ("sometimes", "5", "percentage or a fixed amount"),
        ("percent", "5" * 40, "at most 20 characters"),
    ],
)
def test_a_bad_rate_shows_what_was_typed_and_why(client, owner, shop_a, kind, typed, message):
    response = client.post(TERMS, data={**FORM, "rate_kind": kind, "rate_value": typed})
    assert response.status_code == 400
    html = text(response)
    assert message in html
    if typed:
        assert f'value="{typed}"' in html
    assert terms_of(shop_a) is None


def test_a_nul_byte_is_refused_without_an_error(client, owner, shop_a):
    response = client.post(TERMS, data={**FORM, "rate_kind": "percent", "rate_value": "5\x00"})
    assert response.status_code == 400
    assert "control character" in text(response)
    assert terms_of(shop_a) is None


def test_staff_and_sales_reps_cannot_change_the_terms(client, shop_a, make_user, sign_in, no_csrf):
    for role, email in [(Role.STAFF, "staff@example.com"), (Role.SALES_REP, "rep@example.com")]:
        member(shop_a, make_user, sign_in, role, email)
        assert client.get(TERMS).status_code == 403
        assert client.post(TERMS, data={**FORM, "rate_value": "50"}).status_code == 403
        assert client.get(PRODUCTS).status_code == 403
        assert "/admin/affiliates/" not in text(client.get("/shop/shop-a/admin/"))
    assert terms_of(shop_a) is None


def test_a_manager_may_and_sees_the_tab(client, shop_a, make_user, sign_in, no_csrf):
    member(shop_a, make_user, sign_in, Role.MANAGER, "manager@example.com")
    assert f'href="{TERMS}"' in text(client.get("/shop/shop-a/admin/"))
    assert client.post(TERMS, data=FORM).status_code == 303


def test_someone_of_another_shop_gets_nothing(client, shop_a, shop_b, make_user, sign_in, no_csrf):
    member(shop_b, make_user, sign_in, Role.OWNER, "owner-b@example.com")
    assert client.get(TERMS).status_code == 404
    assert client.post(TERMS, data=FORM).status_code == 404
    assert terms_of(shop_a) is None


# ---------------------------------------------------------------- product rates


def test_the_owner_finds_a_product_sets_its_rate_and_removes_it(client, owner, shop_a):
    lamp = stock_shop(shop_a, title="Brass desk lamp")
    stock_shop(shop_a, title="Oak table", shipping=None)
    found = text(client.get(PRODUCTS, query_string={"q": "lamp"}))
    assert "Brass desk lamp" in found and "Oak table" not in found
    chosen = text(client.get(PRODUCTS, query_string={"product": str(lamp.product_id)}))
    assert 'id="rate-form"' in chosen
    response = client.post(
        PRODUCTS,
        data={"product_id": str(lamp.product_id), "rate_kind": "fixed", "rate_value": "3"},
    )
    assert response.status_code == 303
    listing = text(client.get(response.headers["Location"]))
    assert "now pays affiliates its own rate" in listing
    assert "Brass desk lamp" in listing and "$3.00 per item" in listing
    assert rate_of(shop_a, lamp.product_id) == Rate(PRODUCT, RateKind.FIXED, fixed=300)
    remove = f"{PRODUCTS}/{lamp.product_id}/remove"
    removed = client.post(remove)
    assert removed.status_code == 303
    assert "pays the shop&#39;s rate again" in text(client.get(removed.headers["Location"]))
    assert rate_of(shop_a, lamp.product_id) is None
    twice = client.post(remove)
    assert "nothing changed" in text(client.get(twice.headers["Location"]))
    assert len(audits("affiliates.product_rate_set")) == 1
    assert len(audits("affiliates.product_rate_removed")) == 1


def test_a_bad_product_rate_shows_why(client, owner, shop_a):
    lamp = stock_shop(shop_a, title="Brass desk lamp")
    response = client.post(
        PRODUCTS,
        data={"product_id": str(lamp.product_id), "rate_kind": "percent", "rate_value": "101"},
    )
    assert response.status_code == 400
    html = text(response)
    assert "between 0 and 100" in html and 'value="101"' in html
    assert rate_of(shop_a, lamp.product_id) is None


def test_another_shops_product_is_not_found(client, owner, shop_a, shop_b):
    theirs = stock_shop(shop_b, title="Their lamp")
    form = {"product_id": str(theirs.product_id), "rate_kind": "percent", "rate_value": "50"}
    assert client.post(PRODUCTS, data=form).status_code == 404
    assert client.post(PRODUCTS, data={**form, "product_id": "not-an-id"}).status_code == 404
    assert client.post(f"{PRODUCTS}/{theirs.product_id}/remove").status_code == 404
    page = text(client.get(PRODUCTS, query_string={"product": str(theirs.product_id)}))
    assert "Their lamp" not in page and 'id="rate-form"' not in page
    assert "Their lamp" not in text(client.get(PRODUCTS, query_string={"q": "lamp"}))
    with tenant_context(shop_b):
        assert db.session.scalars(sa.select(AffiliateProductRate)).all() == []


def test_the_rate_list_costs_the_same_whatever_its_length(client, owner, shop_a, count_queries):
    def set_rates(n: int) -> None:
        for _ in range(n):
            stocked = stock_shop(shop_a, shipping=None)
            client.post(
                PRODUCTS,
                data={
                    "product_id": str(stocked.product_id),
                    "rate_kind": "percent",
                    "rate_value": "7",
                },
            )

    set_rates(2)
    with count_queries() as few:
        assert client.get(PRODUCTS).status_code == 200
    set_rates(8)
    with count_queries() as many:
        html = text(client.get(PRODUCTS))
    assert html.count("7%") == 10
    assert many.count == few.count


def test_the_rate_list_is_paginated(client, owner, shop_a):
    with tenant_context(shop_a):
        for n in range(27):
            stocked = stock_shop(shop_a, shipping=None, title=f"Item {n:02d}")
            db.session.add(
                AffiliateProductRate(
                    tenant_id=shop_a.id,
                    product_id=stocked.product_id,
                    rate_kind=RateKind.PERCENT,
                    rate_bp=100,
                )
            )
        db.session.commit()
    first = text(client.get(PRODUCTS))
    assert "Item 00" in first and "Item 24" in first and "Item 25" not in first
    assert "Page 1 of 2" in first
    second = text(client.get(PRODUCTS, query_string={"page": "2"}))
    assert "Item 25" in second and "Item 26" in second and "Item 00" not in second
