"""Opt-in at checkout (a box per shop and one for the mall, never pre-ticked), and
transactional email that does not depend on any opt-in."""

from __future__ import annotations

import re

import pytest

from mall.extensions import db
from mall.newsletters.models import ConsentSource
from mall.newsletters.services import find_subscription, subscribe, unsubscribe
from tenants.context import tenant_context
from tests.support.mail import clear_outbox, sent_to
from tests.support.shopping import add_to_cart, fill_checkout, reviewed_of, stock_shop


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def two_shops(make_shop):
    acme = stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)
    bolt = stock_shop(make_shop("bolt", name="Bolt & Co"), price=1250, quantity=5)
    return acme, bolt


def subscribed(shop, email="ada@example.com") -> bool:
    with tenant_context(shop):
        row = find_subscription(email)
        return row is not None and row.subscribed


def test_the_review_offers_a_box_per_shop_and_the_mall_none_ticked(client, two_shops, no_csrf):
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    review = fill_checkout(client)
    boxes = re.findall(r'<input[^>]*name="newsletter"[^>]*>', review)
    assert len(boxes) == 3
    assert all("checked" not in box for box in boxes)
    assert "Acme Tools&#39;s newsletter" in review or "Acme Tools's newsletter" in review


def test_ticked_boxes_subscribe_the_checkout_email_only_there(
    app, client, two_shops, make_shop, no_csrf
):
    acme, bolt = two_shops
    stranger = make_shop("stranger", name="Not In This Cart")
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    review = fill_checkout(client)
    response = client.post(
        "/checkout/place",
        data={
            "reviewed": reviewed_of(review),
            "newsletter": [acme.shop.id.hex, "mall", stranger.id.hex, "junk"],
        },
    )
    assert response.status_code == 303
    assert subscribed(acme.shop) and not subscribed(bolt.shop) and not subscribed(stranger)
    with tenant_context(acme.shop):
        assert find_subscription("ada@example.com").source is ConsentSource.CHECKOUT
    assert find_subscription("ada@example.com", mall=True).subscribed


def test_no_box_ticked_subscribes_nobody(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    review = fill_checkout(client)
    assert client.post("/checkout/place", data={"reviewed": reviewed_of(review)}).status_code == 303
    assert not subscribed(acme.shop)
    assert find_subscription("ada@example.com", mall=True) is None


def test_transactional_email_does_not_depend_on_opt_in(app, client, two_shops, no_csrf):
    acme, _ = two_shops
    with tenant_context(acme.shop):  # opted out of the shop's newsletter
        unsubscribe(subscribe("ada@example.com", source=ConsentSource.ACCOUNT))
        db.session.commit()
    clear_outbox(app)
    add_to_cart(client, acme.variant_id)
    review = fill_checkout(client)
    assert client.post("/checkout/place", data={"reviewed": reviewed_of(review)}).status_code == 303
    confirmations = sent_to(app, "ada@example.com")
    assert confirmations, "the order confirmation goes out whatever the newsletter choice"
    assert all(m["List-Unsubscribe"] is None for m in confirmations)
