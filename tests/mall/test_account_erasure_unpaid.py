"""An order waiting for its payment blocks the account's deletion; the deletion page offers to
cancel it (stock back once, a shop's part paid meanwhile kept), then the account can go."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.catalog.models import StockMovement, StockReason, Variant
from mall.checkout.completion import complete_checkout
from mall.checkout.models import Checkout, CheckoutStatus
from mall.extensions import db
from mall.orders.bank_transfers import confirm_bank_transfer
from mall.orders.models import Order, OrderStatus
from tenants.context import all_tenants, tenant_context
from tests.support.shopping import (
    accept_manual_payments,
    add_to_cart,
    csrf_of,
    fill_checkout,
    place,
    stock_shop,
)

CANCEL = "/account/privacy/delete/cancel-unpaid"


@pytest.fixture
def shops(make_shop):
    acme = stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)
    bolt = stock_shop(make_shop("bolt", name="Bolt & Co"), price=1250, quantity=5)
    for stocked in (acme, bolt):
        accept_manual_payments(stocked.shop)
    return acme, bolt


@pytest.fixture
def customer(app, client, shops, make_user, sign_in, monkeypatch):
    """A signed-in customer who ordered 2 of Acme's and 1 of Bolt's by bank transfer, unpaid."""
    user = make_user("una@example.com", name="Una Unpaid")
    sign_in(user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    add_to_cart(client, shops[0].variant_id, 2)
    add_to_cart(client, shops[1].variant_id, 1)
    assert place(client, fill_checkout(client, method="bank_transfer")).status_code == 303
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return user


def orders() -> dict[str, Order]:
    with all_tenants("test: every order"):
        return {o.number.split("-")[0]: o for o in db.session.scalars(sa.select(Order))}


def stock_of(stocked) -> int:
    with tenant_context(stocked.shop):
        return db.session.get(Variant, (stocked.shop.id, stocked.variant_id)).stock_quantity


def released(stocked) -> list[int]:
    with tenant_context(stocked.shop):
        return list(
            db.session.scalars(
                sa.select(StockMovement.delta).where(
                    StockMovement.reason == StockReason.HOLD_RELEASED
                )
            )
        )


def cancel_form(client) -> dict[str, str]:
    page = client.get("/account/privacy/delete").text
    found = re.search(r'name="checkout" value="([0-9a-f-]{36})"', page)
    return {"csrf_token": csrf_of(page), "checkout": found.group(1) if found else ""}


def test_the_page_offers_to_cancel_the_unpaid_order_then_the_account_goes(client, shops, customer):
    acme, bolt = shops
    page = client.get("/account/privacy/delete").text
    assert "A payment of yours is still in progress" in page
    assert "ACME-1001" in page and "BOLT-1001" in page
    assert "Cancel the unpaid order" in page and 'name="password"' not in page
    form = cancel_form(client)
    first = client.post(CANCEL, data=form)
    second = client.post(CANCEL, data=form)  # a double click cancels once
    for response in (first, second):
        assert response.status_code == 303 and response.location == "/account/privacy/delete"
    page = client.get("/account/privacy/delete").text
    assert "The unpaid order is cancelled" in page
    assert "Cancel the unpaid order" not in page and 'name="password"' in page
    db.session.expire_all()
    assert {o.status for o in orders().values()} == {OrderStatus.CANCELLED}
    assert (stock_of(acme), stock_of(bolt)) == (5, 5)
    assert (released(acme), released(bolt)) == ([2], [1])
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert checkout.status is CheckoutStatus.EXPIRED
    page = client.get("/account/privacy/delete").text
    gone = client.post(
        "/account/privacy/delete",
        data={"csrf_token": csrf_of(page), "password": "correct horse battery"},
    )
    assert gone.status_code == 303 and gone.location == "/"


def test_a_shop_paid_meanwhile_keeps_its_order(client, shops, customer):
    acme, bolt = shops
    form = cancel_form(client)
    with tenant_context(acme.shop):
        assert confirm_bank_transfer(orders()["ACME"], actor_id=None)
    db.session.commit()
    assert client.post(CANCEL, data=form).status_code == 303
    db.session.expire_all()
    now = orders()
    assert now["ACME"].status is OrderStatus.PAID
    assert now["BOLT"].status is OrderStatus.CANCELLED
    assert (stock_of(acme), stock_of(bolt)) == (3, 5)


def test_a_checkout_paid_meanwhile_is_not_cancelled(client, shops, customer):
    acme, _ = shops
    form = cancel_form(client)
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert complete_checkout(checkout.id)
    db.session.commit()
    response = client.post(CANCEL, data=form)
    assert response.status_code == 303
    assert "Your payment arrived meanwhile" in client.get(response.location).text
    db.session.expire_all()
    assert {o.status for o in orders().values()} == {OrderStatus.PAID}
    assert stock_of(acme) == 3 and released(acme) == []


def test_nobody_cancels_another_customers_order(client, shops, customer, make_user, sign_in):
    form = cancel_form(client)
    sign_in(make_user("mallory@example.com"))
    page = client.get("/account/privacy/delete").text
    response = client.post(CANCEL, data={**form, "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    assert "not one of yours" in client.get(response.location).text
    bad = client.post(CANCEL, data={"csrf_token": csrf_of(page), "checkout": "not-an-id"})
    assert bad.status_code == 303
    db.session.expire_all()
    assert {o.status for o in orders().values()} == {OrderStatus.AWAITING_PAYMENT}
