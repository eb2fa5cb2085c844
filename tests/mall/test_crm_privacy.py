"""The CRM in a person's privacy rights: their data export shows each shop's record of them
(the staff's notes and their messages included); deleting the account deletes those records."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.accounts.erasure import erase_account
from mall.accounts.export_contents import personal_data
from mall.crm.customers import find_customer, update_notes
from mall.crm.messages import start_thread
from mall.crm.models import CrmCustomer, CrmMessage, CrmThread
from mall.extensions import db
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
