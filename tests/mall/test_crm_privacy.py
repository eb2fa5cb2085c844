"""The CRM in a person's privacy rights: their data export shows each shop's record of them
(the staff's notes and their messages included); deleting the account deletes those records."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.accounts.erasure import erase_account
from mall.accounts.export_contents import personal_data
from mall.accounts.retention import anonymise_orders_past_retention
from mall.crm.customers import find_customer, update_notes
from mall.crm.messages import start_thread
from mall.crm.models import CrmCustomer, CrmMessage, CrmThread
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import mark_order_paid
from tenants.context import tenant_context
from tests.conftest import DEFAULT_PASSWORD
from tests.crawl.orders import place_order

EMAIL = "nora.noted@example.com"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def customer_of(shop, user, *, email: str = EMAIL, note: str = "", message: str = "") -> None:
    """``user`` paid an order of ``shop`` (so the shop's CRM knows them), maybe with a staff
    note about them and a message they wrote."""
    with tenant_context(shop):
        order = place_order(shop, email=email)
        order.user_id = user.id if user else None
        assert mark_order_paid(order)
        if note:
            update_notes(find_customer(email), notes=note, tags="vip")
        if message:
            start_thread(email, body=message, key=uuid4().hex, user_id=user.id if user else None)
        db.session.commit()


def crm_rows(shop) -> int:
    with tenant_context(shop):
        return sum(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (CrmCustomer, CrmThread, CrmMessage)
        )


def test_the_export_shows_each_shops_record_notes_and_messages(app_ctx, shop_a, make_user):
    nora = make_user(EMAIL)
    customer_of(shop_a, nora, note="Prefers parcels left next door", message="Is it blue?")
    exported = json.dumps(personal_data(nora))
    assert "Prefers parcels left next door" in exported  # what the staff wrote about her
    assert "Is it blue?" in exported and '"tags": "vip"' in exported


def test_deleting_the_account_deletes_every_shops_record_of_the_person(
    app_ctx, shop_a, shop_b, make_user
):
    nora = make_user(EMAIL)
    customer_of(shop_a, nora, note="Prefers parcels left next door", message="Is it blue?")
    customer_of(shop_b, nora, message="Do you ship to Oslo?")
    customer_of(shop_a, None, email="someone.else@example.com", note="Keep")
    before_a, before_b = crm_rows(shop_a), crm_rows(shop_b)

    erase_account(nora, password=DEFAULT_PASSWORD)
    db.session.commit()

    assert crm_rows(shop_a) == before_a - 3  # her record, her thread, her message
    assert crm_rows(shop_b) == before_b - 3
    with tenant_context(shop_a):
        assert find_customer(EMAIL) is None
        assert find_customer("someone.else@example.com") is not None  # nobody else's


def test_a_shop_the_person_only_wrote_to_is_in_their_export_and_forgets_them(
    app_ctx, client, shop_a, shop_b, make_user, sign_in, no_csrf
):
    nora = make_user(EMAIL)
    customer_of(shop_a, nora)  # she ordered from A; B she only writes to, signed in
    with tenant_context(shop_b):
        start_thread("otto.other@example.com", body="Otto asks about teapots", key=uuid4().hex)
        db.session.commit()
    sign_in(nora)
    sent = client.post(
        "/shop/shop-b/contact/",
        data={"subject": "Shipping", "body": "Do you ship to Oslo?", "key": uuid4().hex},
    )
    assert sent.status_code == 303

    exported = personal_data(nora)
    by_shop = {part["shop"]: part for part in exported["shops"]}
    assert list(by_shop) == ["Shop A", "Shop B"]  # where she ordered first, then where she wrote
    assert by_shop["Shop B"]["orders"] == []
    (thread,) = by_shop["Shop B"]["customer_record"]["threads"]
    assert thread["subject"] == "Shipping"
    assert [message["text"] for message in thread["messages"]] == ["Do you ship to Oslo?"]
    text = json.dumps(exported)
    assert "Otto asks about teapots" not in text and "otto.other@example.com" not in text

    before_b = crm_rows(shop_b)
    erase_account(nora, password=DEFAULT_PASSWORD)
    db.session.commit()
    assert crm_rows(shop_b) == before_b - 3  # her record, her thread, her message
    with tenant_context(shop_b):
        assert find_customer(EMAIL) is None
        assert find_customer("otto.other@example.com") is not None


def test_a_refund_after_the_account_is_deleted_does_not_bring_the_record_back(
    app_ctx, shop_a, make_user
):
    nora = make_user(EMAIL)
    customer_of(shop_a, nora, note="Prefers parcels left next door")
    with tenant_context(shop_a):
        order_id = db.session.scalar(sa.select(Order.id).where(Order.user_id == nora.id))
    erase_account(nora, password=DEFAULT_PASSWORD)
    db.session.commit()
    before = crm_rows(shop_a)

    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))  # the shop's tax copy stays
        refund_order(order, RefundRequest(amount=500, manual=True), actor_id=None, key="r-1")
        db.session.commit()
        assert find_customer(EMAIL) is None
    assert crm_rows(shop_a) == before


def test_a_refund_updates_a_customer_the_shop_still_has(app_ctx, shop_a, make_user):
    nora = make_user(EMAIL)
    customer_of(shop_a, nora)
    with tenant_context(shop_a):
        order = db.session.scalar(sa.select(Order).where(Order.user_id == nora.id))
        value = find_customer(EMAIL).lifetime_value
        refund_order(order, RefundRequest(amount=500, manual=True), actor_id=None, key="r-1")
        db.session.commit()
        assert find_customer(EMAIL).lifetime_value == value - 500


def age_customer(shop, email: str, *, days: int, thread_days: int | None = None) -> None:
    """Make the shop's record of ``email`` (and its threads) look ``days`` old."""
    then = utcnow() - timedelta(days=days)
    with tenant_context(shop):
        customer = find_customer(email)
        customer.created_at = customer.last_seen_at = then
        customer.last_order_at = then if customer.last_order_at else None
        customer.last_message_at = then if customer.last_message_at else None
        db.session.execute(
            sa.update(CrmThread)
            .where(CrmThread.customer_id == customer.id)
            .values(last_message_at=utcnow() - timedelta(days=thread_days or days))
        )
        db.session.commit()


def test_retention_deletes_the_records_of_people_not_heard_of_for_the_period(
    app_ctx, shop_a, shop_b, make_user
):
    years = 365 * 8
    customer_of(shop_a, None, email="old.timer@example.com", note="Old note", message="Hello?")
    customer_of(shop_a, None, email="still.here@example.com", message="Any news?")
    customer_of(shop_a, None, email="recent.reply@example.com", message="Thanks")
    customer_of(shop_b, None, email="old.timer@example.com", message="Hi B")
    age_customer(shop_a, "old.timer@example.com", days=years)
    age_customer(shop_a, "recent.reply@example.com", days=years, thread_days=10)
    before_a, before_b = crm_rows(shop_a), crm_rows(shop_b)

    anonymise_orders_past_retention()  # the daily retention job
    db.session.commit()

    assert crm_rows(shop_a) == before_a - 3  # the record, its thread and its message
    with tenant_context(shop_a):
        assert find_customer("old.timer@example.com") is None
        assert find_customer("still.here@example.com") is not None
        assert find_customer("recent.reply@example.com") is not None  # a thread moved lately
    with tenant_context(shop_b):
        assert find_customer("old.timer@example.com") is not None  # B heard from them lately
    assert crm_rows(shop_b) == before_b
    anonymise_orders_past_retention()  # safe to run again
    assert crm_rows(shop_a) == before_a - 3
