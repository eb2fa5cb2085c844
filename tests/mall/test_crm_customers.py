"""A shop's customers: kept from paid orders and messages (idempotent), sealed at rest, searched
by blind index (never an email in a URL), paged in a fixed number of queries, exported as
formula-safe CSV, and invisible to other shops."""

from __future__ import annotations

from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.crm.customers import (
    customer_token,
    find_customer,
    find_or_add_customer,
    parse_tags,
    record_order,
    update_notes,
)
from mall.crm.errors import CrmError
from mall.crm.messages import start_thread
from mall.crm.models import CrmCustomer
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import mark_order_paid
from mall.shops.models import Membership, Role
from mall.signals import order_paid
from tenants.context import tenant_context
from tests.crawl.orders import place_order


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def paid(shop, email: str = "carol@example.com", **kw):
    with tenant_context(shop):
        order = place_order(shop, email=email, **kw)
        assert mark_order_paid(order)
        db.session.commit()
        return order.id, order.total


def customer_of(shop, email: str) -> CrmCustomer | None:
    with tenant_context(shop):
        db.session.expire_all()
        return find_customer(email)


def test_a_paid_order_adds_its_customer_once_and_a_replay_counts_nothing(app_ctx, shop_a):
    order_id, total = paid(shop_a)
    customer = customer_of(shop_a, "Carol@Example.com")
    assert customer is not None
    with tenant_context(shop_a):
        assert customer.name == "Carol Customer"
        assert (customer.orders_count, customer.lifetime_value) == (1, total)
        assert customer.last_order_at is not None
        order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
        order_paid.send(order)  # a replayed signal
        record_order(order)  # and a replayed job
        db.session.commit()
    again = customer_of(shop_a, "carol@example.com")
    with tenant_context(shop_a):
        assert (again.orders_count, again.lifetime_value) == (1, total)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CrmCustomer)) == 1

    _, second = paid(shop_a, email="CAROL@example.com ")
    with tenant_context(shop_a):
        latest = customer_of(shop_a, "carol@example.com")
        assert (latest.orders_count, latest.lifetime_value) == (2, total + second)


def test_unpaid_orders_add_nobody(app_ctx, shop_a):
    with tenant_context(shop_a):
        place_order(shop_a, email="nobody@example.com")
        db.session.commit()
    assert customer_of(shop_a, "nobody@example.com") is None


def test_personal_data_is_sealed_and_the_index_is_per_shop(app_ctx, shop_a, shop_b):
    paid(shop_a)
    with tenant_context(shop_a):
        customer = find_or_add_customer("carol@example.com")
        update_notes(customer, notes="Prefers calls after 6pm", tags="VIP, wholesale vip")
        db.session.commit()
        row = db.session.execute(
            sa.text("SELECT email, name, notes, tags FROM crm_customers")
        ).one()
        token_a = customer_token("carol@example.com")
    assert b"carol" not in bytes(row.email) and b"Carol" not in bytes(row.name)
    assert b"6pm" not in bytes(row.notes)
    assert row.tags == "vip wholesale"
    with tenant_context(shop_b):
        assert customer_token("carol@example.com") != token_a


def test_tags_are_checked(app_ctx):
    assert parse_tags(" VIP,  wholesale  vip ") == "vip wholesale"
    with pytest.raises(CrmError, match="not valid"):
        parse_tags("=cmd|calc")


def test_the_list_searches_by_blind_index_and_never_puts_the_email_in_a_url(
    app_ctx, client, shop_a, member_of_a, no_csrf
):
    paid(shop_a, email="carol@example.com")
    paid(shop_a, email="dave@example.com")
    listing = client.get("/shop/shop-a/admin/customers/").get_data(as_text=True)
    assert "carol@example.com" in listing and "dave@example.com" in listing
    assert "Carol Customer" in listing

    found = client.post("/shop/shop-a/admin/customers/find", data={"email": "Dave@Example.com"})
    assert found.status_code == 303
    assert "dave" not in found.headers["Location"].lower()
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "dave@example.com" in page and "carol@example.com" not in page

    bad = client.post("/shop/shop-a/admin/customers/find", data={"email": "not an email"})
    assert bad.status_code == 422
    assert "Enter an email" in bad.get_data(as_text=True)
    # A made-up token lists nobody; a malformed one is ignored: never a 500.
    assert client.get("/shop/shop-a/admin/customers/?customer=" + "ab" * 32).status_code == 200
    assert client.get("/shop/shop-a/admin/customers/?customer=zz&older=x").status_code == 200


def test_the_list_costs_the_same_whatever_the_number_of_customers(
    app_ctx, client, shop_a, member_of_a, count_queries
):
    def add(n: int) -> None:
        with tenant_context(shop_a):
            for _ in range(n):
                find_or_add_customer(f"c-{uuid4().hex[:8]}@example.com", name="Some One")
            db.session.commit()

    add(2)
    with count_queries() as few:
        assert client.get("/shop/shop-a/admin/customers/").status_code == 200
    add(30)
    with count_queries() as many:
        response = client.get("/shop/shop-a/admin/customers/")
    assert response.status_code == 200
    assert many.count == few.count
    assert "Older" in response.get_data(as_text=True)


def test_notes_and_tags_are_saved_once(app_ctx, client, shop_a, member_of_a, no_csrf):
    paid(shop_a)
    customer = customer_of(shop_a, "carol@example.com")
    url = f"/shop/shop-a/admin/customers/{customer.id}/notes"
    data = {"notes": "Likes blue teapots", "tags": "vip"}
    first = client.post(url, data=data)
    assert first.status_code == 303
    again = client.post(url, data=data, follow_redirects=True)
    assert "already saved" in again.get_data(as_text=True)
    page = client.get(f"/shop/shop-a/admin/customers/{customer.id}").get_data(as_text=True)
    assert "Likes blue teapots" in page and "vip" in page
    bad = client.post(url, data={"notes": "x", "tags": "<script>"})
    assert bad.status_code == 422
    assert "not valid" in bad.get_data(as_text=True)


def test_the_csv_holds_what_the_shop_holds_and_runs_no_formula(
    app_ctx, client, shop_a, member_of_a
):
    with tenant_context(shop_a):
        customer = find_or_add_customer("mallory@example.com", name='=HYPERLINK("x")')
        update_notes(customer, notes="@SUM(A1)", tags="")
        db.session.commit()
    response = client.get("/shop/shop-a/admin/customers/export.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("Name,Email,Orders,Lifetime value,Currency,Last order,Tags,Notes")
    assert "mallory@example.com" in text
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text


def test_sales_reps_see_customers_but_not_the_csv(app_ctx, client, shop_a, make_user, sign_in):
    rep = make_user("rep@example.com")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    sign_in(rep)
    assert client.get("/shop/shop-a/admin/customers/").status_code == 200
    assert client.get("/shop/shop-a/admin/customers/export.csv").status_code == 403


def test_shop_a_sees_none_of_shop_bs_customers_or_notes(
    app_ctx, client, shop_a, shop_b, member_of_a, no_csrf
):
    paid(shop_b, email="bella@example.com")
    with tenant_context(shop_b):
        theirs = find_customer("bella@example.com")
        update_notes(theirs, notes="Secret of shop B", tags="b-only")
        db.session.commit()
        theirs_id = theirs.id
    listing = client.get("/shop/shop-a/admin/customers/").get_data(as_text=True)
    assert "bella@example.com" not in listing
    assert client.get(f"/shop/shop-a/admin/customers/{theirs_id}").status_code == 404
    assert (
        client.post(
            f"/shop/shop-a/admin/customers/{theirs_id}/notes", data={"notes": "", "tags": ""}
        ).status_code
        == 404
    )
    csv_text = client.get("/shop/shop-a/admin/customers/export.csv").get_data(as_text=True)
    assert "bella" not in csv_text and "Secret of shop B" not in csv_text
    assert client.get(f"/shop/shop-b/admin/customers/{theirs_id}").status_code == 404
    with tenant_context(shop_b):
        assert find_customer("bella@example.com").notes == "Secret of shop B"


def test_a_message_adds_its_writer_as_a_customer(app_ctx, shop_a):
    with tenant_context(shop_a):
        start_thread("fay@example.com", body="Hello", key=uuid4().hex, name="Fay")
        db.session.commit()
    customer = customer_of(shop_a, "fay@example.com")
    assert customer.orders_count == 0 and customer.last_message_at is not None
