"""Returns from /account/orders: a "Return items" button on each order that shipped something
(none on the others, no query more), the form leads back to the order list, and a ``from``
value other than the known flag never redirects anywhere else."""

from __future__ import annotations

import re
from html import unescape
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order
from mall.returns.models import ReturnRequest
from tenants.context import all_tenants, tenant_context
from tests.support.money import buy
from tests.support.shopping import stock_shop

RETURN_LINK = re.compile(r'href="([^"]+/returns/new[^"]*)"')


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def customer(make_user, sign_in, no_csrf):
    user = make_user("rosa@example.com", name="Rosa Customer")
    sign_in(user)
    return user


@pytest.fixture
def kettles(make_shop):
    return stock_shop(make_shop("kettles", name="Copper Kettles"), price=1500)


def bought(client, stocked, quantity: int = 2) -> tuple:
    """Buy ``quantity`` of the shop's product in one checkout: (the shop id, the order id)."""
    (order,) = buy(client, (stocked.variant_id, quantity))
    with all_tenants("test: the order just placed"):
        return order.tenant_id, order.id


def ship(shop_id, order_id, units: int) -> None:
    """Send a parcel of ``units`` of the order's first line (committed)."""
    with tenant_context(shop_id):
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        create_shipment(
            order,
            quantities={order.lines[0].id: units},
            carrier="ups",
            request_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()


def return_links(client) -> list[str]:
    return [unescape(link) for link in RETURN_LINK.findall(client.get("/account/orders").text)]


def test_only_orders_that_shipped_something_offer_return_items(client, customer, kettles):
    waiting = bought(client, kettles)
    assert return_links(client) == []
    shipped = bought(client, kettles)
    ship(*shipped, 1)
    html = client.get("/account/orders").text
    assert "Return items" in html and html.count("Return items<") == 1
    (link,) = return_links(client)
    assert link.endswith("?from=account")
    with all_tenants("test: the numbers of the two orders"):
        numbers = {
            order_id: db.session.get(Order, (shop_id, order_id)).number
            for shop_id, order_id in (waiting, shipped)
        }
    assert f'Return items<span class="visually-hidden"> of order {numbers[shipped[1]]}' in html
    assert f'Return items<span class="visually-hidden"> of order {numbers[waiting[1]]}' not in html


def test_the_form_leads_back_to_the_order_list(client, customer, kettles):
    shop_id, order_id = bought(client, kettles, quantity=3)
    ship(shop_id, order_id, 2)
    (link,) = return_links(client)
    form = client.get(link).text
    assert 'href="/account/orders">← Back to your orders' in form
    assert ": up to 2, until" in form
    with tenant_context(shop_id):
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        line_id = order.lines[0].id
    sent = {"key": uuid4().hex, "reason": "Too big.", f"qty-{line_id}": "1"}
    done = client.post(link, data=sent)
    assert done.status_code == 303 and done.headers["Location"] == "/account/orders"
    assert "Your return request is sent." in client.get("/account/orders").text
    again = client.post(link, data=sent)
    assert again.status_code == 303 and again.headers["Location"] == "/account/orders"
    refused = client.post(link, data={"key": uuid4().hex, "reason": "x", f"qty-{line_id}": "9"})
    assert refused.status_code == 303 and refused.headers["Location"] == link
    with tenant_context(shop_id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnRequest)) == 1
    assert "Sent " in client.get(link).text  # the request is listed on the form


@pytest.mark.parametrize("value", ["https://evil.example/", "//evil.example", "/account/orders"])
def test_any_other_from_value_goes_back_to_the_tracking_page(client, customer, kettles, value):
    shop_id, order_id = bought(client, kettles)
    ship(shop_id, order_id, 2)
    (link,) = return_links(client)
    tracking = link.split("/returns/new")[0]
    other = f"{tracking}/returns/new?from={value}"
    form = client.get(other).text
    assert "Back to your orders" not in form and "evil" not in form
    assert f'action="{tracking}/returns/new"' in form
    with tenant_context(shop_id):
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        line_id = order.lines[0].id
    sent = {"key": uuid4().hex, "reason": "Too big.", f"qty-{line_id}": "1"}
    done = client.post(other, data=sent)
    assert done.status_code == 303 and done.headers["Location"] == tracking


def test_the_buttons_cost_no_query(client, customer, kettles, count_queries):
    orders = [bought(client, kettles, quantity=1) for _ in range(3)]
    with count_queries() as before:
        assert client.get("/account/orders").status_code == 200
    for shop_id, order_id in orders:
        ship(shop_id, order_id, 1)
    with count_queries() as after:
        assert len(return_links(client)) == 3
    assert after.count == before.count
