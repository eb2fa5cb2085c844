"""A signed-in customer's checkout: every saved address is offered, and the review offers only
the newsletters the customer does not get yet."""

from __future__ import annotations

import re

import pytest

from mall.accounts.address_book import MAX_ADDRESSES, add_address
from mall.accounts.addresses import PostalAddress
from mall.extensions import db
from mall.newsletters.models import ConsentSource
from mall.newsletters.services import subscribe, unsubscribe
from mall.newsletters.subscribers import received_newsletters
from tenants.context import tenant_context
from tests.support.shopping import add_to_cart, fill_checkout, stock_shop


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def acme(make_shop):
    return stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)


@pytest.fixture
def customer(make_user, sign_in):
    user = make_user("carl@example.com", name="Carl")
    sign_in(user)
    return user


def boxes(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="newsletter"[^>]*value="([^"]+)"', html)


def test_every_saved_address_is_offered_and_the_oldest_can_be_used(client, acme, customer, no_csrf):
    for n in range(MAX_ADDRESSES):
        add_address(
            customer,
            PostalAddress(
                name="Carl",
                line1=f"{n + 1} Long Lane",
                city="London",
                postal_code="N1 9GU",
                country="GB",
            ),
        )
    db.session.commit()
    assert MAX_ADDRESSES == 20
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    page = client.get("/checkout/address").get_data(as_text=True)
    offered = re.findall(r'name="saved"[^>]*value="([0-9a-f-]{36})"', page)
    assert len(offered) == 20
    for n in range(1, 21):
        assert f"{n} Long Lane," in page
    first_saved = re.search(r'value="([0-9a-f-]{36})"[^>]*>\s*<label[^>]*>Carl, 1 Long Lane', page)
    chosen = {"billing_same": "y", "saved": first_saved.group(1)}
    response = client.post("/checkout/address", data=chosen)
    assert response.status_code == 303 and response.location.endswith("/checkout/shipping")
    again = client.get("/checkout/address").get_data(as_text=True)  # what the checkout kept
    assert 'value="1 Long Lane"' in again and "12 Marylebone Road" not in again


def test_the_review_offers_only_newsletters_the_customer_does_not_get(
    app, client, make_shop, customer, no_csrf
):
    acme = stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)
    bolt = stock_shop(make_shop("bolt", name="Bolt & Co"), price=1250, quantity=5)
    cog = stock_shop(make_shop("cog", name="Cog Works"), price=100, quantity=5)
    subscribe("carl@example.com", source=ConsentSource.ACCOUNT, user_id=customer.id, mall=True)
    with tenant_context(acme.shop):
        subscribe("carl@example.com", source=ConsentSource.ACCOUNT, user_id=customer.id)
    with tenant_context(cog.shop):  # opted out again: offered again
        unsubscribe(
            subscribe("carl@example.com", source=ConsentSource.ACCOUNT, user_id=customer.id)
        )
    db.session.commit()
    for stocked in (acme, bolt, cog):
        add_to_cart(client, stocked.variant_id)
    review = fill_checkout(client, email="carl@example.com")
    assert sorted(boxes(review)) == sorted([bolt.shop.id.hex, cog.shop.id.hex])
    assert "You get Acme Tools's newsletter." in review
    assert f"You get the {app.config['MALL_NAME']}'s newsletter." in review
    assert "Send me Bolt &amp; Co's newsletter" in review


def test_a_guest_gets_every_box(client, acme, no_csrf):
    with tenant_context(acme.shop):
        subscribe("ada@example.com", source=ConsentSource.CHECKOUT)
    db.session.commit()
    add_to_cart(client, acme.variant_id)
    review = fill_checkout(client, email="ada@example.com")
    assert sorted(boxes(review)) == sorted([acme.shop.id.hex, "mall"])


def test_what_the_customer_gets_is_read_in_two_queries_for_any_number_of_shops(
    make_shop, customer, count_queries
):
    shops = [make_shop(f"shop{n}", name=f"Shop {n}") for n in range(6)]
    for shop in shops[::2]:
        with tenant_context(shop):
            subscribe("carl@example.com", source=ConsentSource.ACCOUNT, user_id=customer.id)
    db.session.commit()
    ids = [shop.id for shop in shops]
    counts = []
    for some in (ids[:1], ids):
        assert customer.email  # the signed-in account is loaded before counting
        with count_queries() as counted:
            got = received_newsletters(customer, some)
        counts.append(counted.count)
    assert got == {shop.id.hex for shop in shops[::2]}
    assert counts[0] == counts[1] <= 2
    assert received_newsletters(None, ids) == set()
