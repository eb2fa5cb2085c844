"""The review form sent again (a double click, a retry) lands where the first one did: the
placed order's confirmation, with one set of orders, CSRF on as in production."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.orders.models import Order
from tenants.context import all_tenants, tenant_context
from tests.support.shopping import add_to_cart, csrf_of, fill_checkout, reviewed_of, stock_shop
from tests.support.tokens import tampered


@pytest.fixture
def acme(make_shop):
    return stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)


def key_of(html: str) -> str:
    found = re.search(r'name="key"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="key"', html
    )
    return found.group(1) if found else ""


def review_form(app, client, monkeypatch, stocked, quantity: int = 1) -> dict[str, str]:
    """Fill the cart and walk the steps (CSRF off), then the review page as the browser has it
    (CSRF on)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    add_to_cart(client, stocked.variant_id, quantity)
    fill_checkout(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/checkout/review").get_data(as_text=True)
    return {"csrf_token": csrf_of(html), "reviewed": reviewed_of(html), "key": key_of(html)}


def numbers_on(client, location: str) -> list[str]:
    page = client.get(location)
    assert page.status_code == 200
    return re.findall(r"ACME-\d+", page.get_data(as_text=True))


def test_placing_the_same_form_twice_lands_on_the_one_confirmation(app, client, acme, monkeypatch):
    form = review_form(app, client, monkeypatch, acme, 2)
    first = client.post("/checkout/place", data=form)
    second = client.post("/checkout/place", data=form)  # the browser's cookie is the new one
    assert first.status_code == second.status_code == 303
    assert "/checkout/thanks/" in first.location
    assert "/checkout/thanks/" in second.location, second.location
    assert numbers_on(client, second.location) == numbers_on(client, first.location) != []
    with all_tenants("test: every order"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    with tenant_context(acme.shop):
        assert db.session.get(Variant, (acme.shop.id, acme.variant_id)).stock_quantity == 3


def test_a_forged_or_unplaced_key_still_says_the_checkout_expired(app, client, acme, monkeypatch):
    form = review_form(app, client, monkeypatch, acme)
    with client.session_transaction() as session:
        session.pop("checkout_token")  # another browser: the checkout is not its own
    for key in (form["key"], tampered(form["key"]), ""):
        response = client.post("/checkout/place", data={**form, "key": key})
        assert response.status_code == 303 and response.location.endswith("/cart/")
    with all_tenants("test: every order"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
