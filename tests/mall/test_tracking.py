"""The customer's tracking page: a signed link without sign-in, parcels, a timeline for customers,
links in the emails, and "New tracking link" to make a leaked one stop working."""

from __future__ import annotations

import re
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order
from mall.orders.refunds import cancel_paid_order
from mall.orders.services import mark_order_paid, record_event
from mall.orders.tracking import (
    find_tracked_order,
    read_tracking_token,
    tracking_link,
    tracking_token,
)
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.mail import clear_outbox, sent_to, text_of
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def paid_order(shop, **kw) -> SimpleNamespace:
    """A committed, paid order of ``shop`` (bank transfer marked paid); its id, number, link."""
    with tenant_context(shop):
        order = place_order(shop, **kw)
        assert mark_order_paid(order, note="Paid: Ms Staff checked the bank statement.")
        made = SimpleNamespace(id=order.id, number=order.number, line_id=order.lines[0].id)
        db.session.commit()
        made.path = path_of(tracking_link(order))
        made.token = tracking_token(order)
    return made


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def reload(shop, order_id) -> Order:
    with tenant_context(shop):
        db.session.expire_all()
        return db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()


def test_the_token_carries_ids_and_a_version_only(app_ctx, shop_a):
    made = paid_order(shop_a)
    shop_id, order_id, version = read_tracking_token(made.token)
    assert (shop_id, order_id, version) == (shop_a.id, made.id, 1)
    assert "carol" not in made.token.lower() and "elm" not in made.token.lower()
    # Signed with a salt of its own: the checkout confirmation's key cannot make one.
    assert find_tracked_order(made.token).id == made.id


def test_the_page_shows_status_parcels_timeline_and_contact_without_sign_in(
    app_ctx, client, make_shop
):
    shop = make_shop("kettles", name="Copper Kettles")
    shop.contact_email = "help@kettles.example"
    db.session.commit()
    made = paid_order(shop, quantity=3)
    with tenant_context(shop):
        order = db.session.scalars(sa.select(Order).where(Order.id == made.id)).one()
        create_shipment(
            order,
            quantities={made.line_id: 2},
            carrier="ups",
            tracking_number="1Z999AA10123456784",
            request_key=uuid4().hex,
            actor_id=None,
        )
        record_event(order, "note", "Staff note: customer Carol is difficult.")
        db.session.commit()

    response = client.get(made.path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Order {made.number}" in html
    assert "Partly shipped" in html
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in html
    assert "Still to come" in html
    assert "Order placed." in html and "Payment received." in html and "A parcel was sent." in html
    assert "help@kettles.example" in html and "Copper Kettles" in html
    # Never an internal note, a staff member's words or the customer's address.
    assert "difficult" not in html and "Ms Staff" not in html and "12 Elm Street" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_a_tampered_or_unknown_token_answers_404(app_ctx, client, shop_a):
    made = paid_order(shop_a)
    flipped = made.token[:-2] + ("A" if made.token[-2] != "A" else "B") + made.token[-1]
    for path in (
        f"/orders/{flipped}",
        f"/orders/{made.token}x",
        "/orders/not-a-token",
        "/orders/" + "a" * 500,
    ):
        assert client.get(path).status_code == 404, path


def test_a_new_tracking_link_retires_the_old_one_once(
    app_ctx, client, shop_a, member_of_a, no_csrf
):
    made = paid_order(shop_a)
    assert client.get(made.path).status_code == 200
    order_page = client.get(f"/shop/shop-a/admin/orders/{made.id}").get_data(as_text=True)
    assert made.path in order_page and "New tracking link" in order_page

    url = f"/shop/shop-a/admin/orders/{made.id}/tracking-link"
    first = client.post(url, data={"version": "1"})
    assert first.status_code == 303
    again = client.post(url, data={"version": "1"})  # the same page submitted twice
    assert again.status_code == 303
    assert reload(shop_a, made.id).tracking_version == 2

    assert client.get(made.path).status_code == 404  # the leaked link is dead
    with tenant_context(shop_a):
        fresh = path_of(tracking_link(reload(shop_a, made.id)))
    assert client.get(fresh).status_code == 200
    page = client.get(f"/shop/shop-a/admin/orders/{made.id}").get_data(as_text=True)
    assert "already replaced" in page or fresh in page
    assert client.post(url, data={"version": "x"}).status_code == 303  # bad input: a message


def test_staff_without_orders_manage_cannot_replace_the_link(
    app_ctx, client, shop_a, make_user, sign_in, no_csrf
):
    made = paid_order(shop_a)
    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    url = f"/shop/shop-a/admin/orders/{made.id}/tracking-link"
    assert client.post(url, data={"version": "1"}).status_code == 403
    assert reload(shop_a, made.id).tracking_version == 1


def test_another_shops_host_does_not_serve_the_page(app_ctx, client, shop_a, shop_b):
    made = paid_order(shop_b)
    assert client.get(made.path, headers={"Host": "shop-a.mall.test"}).status_code == 404
    assert client.get(made.path, headers={"Host": "shop-b.mall.test"}).status_code == 200


def test_a_cancelled_and_refunded_order_says_so(app_ctx, client, shop_a):
    made = paid_order(shop_a)
    with tenant_context(shop_a):
        order = reload(shop_a, made.id)
        cancel_paid_order(order, actor_id=None, reason="Staff: fraud suspicion", key="c1")
        db.session.commit()
    html = client.get(made.path).get_data(as_text=True)
    assert "The order was cancelled." in html and "A refund was made." in html
    assert "fraud" not in html


def test_the_confirmation_and_shipment_emails_link_to_the_page(
    app, app_ctx, client, shop_a, outbox, no_csrf
):
    stocked = stock_shop(shop_a, price=1500, quantity=5)
    assert add_to_cart(client, stocked.variant_id, 2).status_code in (200, 303)
    assert place(client, fill_checkout(client, email="dora@example.com")).status_code == 303
    (confirmation,) = sent_to(app, "dora@example.com")
    link = re.search(r"https?://\S+/orders/\S+", text_of(confirmation)).group(0)
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Paid: being prepared" in page.get_data(as_text=True)

    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        create_shipment(
            order,
            quantities={order.lines[0].id: 2},
            carrier="dhl_express",
            tracking_number="JD0123",
            request_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()
    shipped = [m for m in sent_to(app, "dora@example.com") if "shipped" in m["Subject"]]
    assert shipped and path_of(link) in text_of(shipped[0])
    html = client.get(path_of(link)).get_data(as_text=True)
    assert "Shipped" in html and "JD0123" in html


def test_the_page_costs_a_fixed_number_of_queries(app_ctx, client, shop_a, count_queries):
    made = paid_order(shop_a, quantity=2)
    with count_queries() as small:
        assert client.get(made.path).status_code == 200
    with tenant_context(shop_a):
        order = reload(shop_a, made.id)
        for n in range(2):
            create_shipment(
                order,
                quantities={made.line_id: 1},
                carrier="ups",
                tracking_number=f"1Z{n}",
                request_key=uuid4().hex,
                actor_id=None,
            )
        db.session.commit()
    with count_queries() as bigger:
        assert client.get(made.path).status_code == 200
    assert bigger.count == small.count + 1  # the shipments' items: one query once there are any


def test_the_thanks_page_stops_showing_a_link_once_staff_replaced_it(
    app_ctx, client, shop_a, member_of_a, no_csrf
):
    stocked = stock_shop(shop_a, price=1500, quantity=5)
    assert add_to_cart(client, stocked.variant_id, 1).status_code in (200, 303)
    thanks = place(client, fill_checkout(client, email="dora@example.com")).headers["Location"]
    with tenant_context(shop_a):
        order = db.session.scalars(sa.select(Order)).one()
        first = path_of(tracking_link(order))
        order_id = order.id
    assert first in client.get(thanks).get_data(as_text=True)

    url = f"/shop/shop-a/admin/orders/{order_id}/tracking-link"
    assert client.post(url, data={"version": "1"}).status_code == 303
    with tenant_context(shop_a):
        fresh = path_of(tracking_link(reload(shop_a, order_id)))
    html = client.get(thanks).get_data(as_text=True)
    # The thanks page needs no sign-in either: it must not hand out the new link.
    assert first not in html and fresh not in html and "/orders/" not in html.split("<main")[1]
