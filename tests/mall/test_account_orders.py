"""/account/orders: the signed-in customer's orders from every shop, grouped by checkout, newest
first, with tracking and invoice links; nobody else's; a constant number of queries."""

from __future__ import annotations

import re

import pytest

from mall.accounts.order_history import customer_orders
from mall.extensions import db
from mall.pagination import decode_position
from tenants.context import all_tenants
from tests.support.money import buy
from tests.support.shopping import stock_shop


def bought(client, *items) -> list[str]:
    """Buy ``items`` in one checkout; the numbers of its shop orders."""
    orders = buy(client, *items)
    with all_tenants("test: the numbers of the orders just placed"):
        return [order.number for order in orders]


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def two_shops(make_shop):
    return (
        stock_shop(make_shop("kettles", name="Copper Kettles"), price=1500),
        stock_shop(make_shop("teas", name="Leaf and Cup"), price=800),
    )


@pytest.fixture
def customer(make_user, sign_in, no_csrf):
    user = make_user("carol@example.com", name="Carol Customer")
    sign_in(user)
    return user


def test_orders_from_two_shops_grouped_by_checkout_newest_first(client, customer, two_shops):
    kettles, teas = two_shops
    first = bought(client, (kettles.variant_id, 1), (teas.variant_id, 2))
    second = bought(client, (teas.variant_id, 1))
    numbers = set(first)
    html = client.get("/account/orders").get_data(as_text=True)
    assert "Copper Kettles" in html and "Leaf and Cup" in html
    # Two checkouts: the newest (one shop) first, then the first one with both shops' orders.
    sections = html.split('<section class="card')[1:]
    assert len(sections) == 2
    assert second[0] in sections[0] and not any(n in sections[0] for n in numbers)
    assert all(number in sections[1] for number in numbers)
    # Each order links to its tracking page (which opens without more) and to its invoice.
    tracking = re.findall(r'href="(/orders/[^"/]+)"', html)
    assert len(tracking) == 3
    for path in tracking:
        page = client.get(path)
        assert page.status_code == 200
    invoices = re.findall(r'href="(/orders/[^"]+/documents/[0-9a-f-]+)"', html)
    assert len(invoices) == 3
    assert client.get(invoices[0]).status_code == 200


def test_a_customer_sees_only_their_own_orders(
    app, client, customer, two_shops, make_user, sign_in
):
    kettles, teas = two_shops
    mine = bought(client, (kettles.variant_id, 1))
    other = make_user("dave@example.com", name="Dave Other")
    theirs = app.test_client()
    sign_in(other, theirs)
    their_orders = bought(theirs, (teas.variant_id, 1))
    their_html = theirs.get("/account/orders").get_data(as_text=True)
    html = client.get("/account/orders").get_data(as_text=True)
    assert mine[0] in html and "Leaf and Cup" not in html
    assert their_orders[0] in their_html and "Copper Kettles" not in their_html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/orders")
    assert response.status_code in (302, 303)
    assert "/account/login" in response.headers["Location"]


def test_no_orders_yet(client, customer):
    html = client.get("/account/orders").get_data(as_text=True)
    assert "No orders yet" in html


def test_the_query_count_does_not_grow_with_checkouts(client, customer, two_shops, count_queries):
    kettles, teas = two_shops
    bought(client, (kettles.variant_id, 1), (teas.variant_id, 1))
    with count_queries() as few:
        assert client.get("/account/orders").status_code == 200
    for _ in range(3):
        bought(client, (kettles.variant_id, 1), (teas.variant_id, 1))
    with count_queries() as many:
        assert client.get("/account/orders").status_code == 200
    assert many.count == few.count


def test_pages_by_position(app, app_ctx, client, customer, two_shops):
    kettles, teas = two_shops
    first = bought(client, (kettles.variant_id, 1))
    second = bought(client, (teas.variant_id, 1))
    db.session.expire_all()
    with app.test_request_context():
        page, rows = customer_orders(customer.id, per_page=1)
        assert [row.orders[0].order.number for row in rows] == [second[0]]
        assert page.older and not page.newer
        _, rows = customer_orders(customer.id, per_page=1, older_than=decode_position(page.older))
        assert [row.orders[0].order.number for row in rows] == [first[0]]
    html = client.get("/account/orders?older=" + page.older).get_data(as_text=True)
    assert first[0] in html
    assert client.get("/account/orders?older=nonsense").status_code == 200
