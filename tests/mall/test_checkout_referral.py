"""The referral cookie as the checkout reads it: affiliate ids and click times only, one
entry per affiliate, newest last, bounded, signed; anything else reads as no referral."""

from __future__ import annotations

from uuid import uuid4

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from mall.checkout import referral
from mall.checkout.models import Checkout
from mall.extensions import db
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop

A, B = uuid4().hex, uuid4().hex


def test_a_click_adds_an_entry_and_a_new_click_moves_it_to_the_end(app_ctx):
    entries = referral.add_click([], A, 100)
    entries = referral.add_click(entries, B, 200)
    entries = referral.add_click(entries, A, 300)
    assert entries == [
        {"a": B, "first": 200, "at": 200},
        {"a": A, "first": 100, "at": 300},
    ]
    assert referral.load(referral.dump(entries)) == entries


def test_a_click_after_the_last_one_expired_starts_a_new_referral(app_ctx):
    entries = referral.add_click([], A, 100)
    assert referral.add_click(entries, A, 150, lifetime=40) == [{"a": A, "first": 150, "at": 150}]
    assert referral.add_click(entries, A, 150, lifetime=50) == [{"a": A, "first": 100, "at": 150}]


def test_at_most_ten_affiliates_are_kept_the_oldest_go(app_ctx):
    ids = [uuid4().hex for _ in range(13)]
    entries: list = []
    for at, affiliate in enumerate(ids, start=1):
        entries = referral.add_click(entries, affiliate, at)
    value = referral.dump(entries)
    assert len(value) <= referral.MAX_COOKIE
    assert [entry["a"] for entry in referral.load(value)] == ids[-10:]


def test_dump_keeps_the_value_under_two_kilobytes(app_ctx, monkeypatch):
    monkeypatch.setattr(referral, "MAX_ENTRIES", 1000)
    entries = [{"a": uuid4().hex, "first": 10**9 + n, "at": 10**9 + n} for n in range(200)]
    value = referral.dump(entries)
    assert len(value) <= referral.MAX_COOKIE
    kept = referral.load(value)
    assert 0 < len(kept) < 200
    assert kept == entries[-len(kept) :]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not-signed",
        "x" * 3000,
        URLSafeSerializer("another secret", salt="mall.referral.ids").dumps(
            [{"a": A, "first": 1, "at": 1}]
        ),
    ],
)
def test_a_missing_foreign_or_oversized_cookie_reads_as_none(app_ctx, value):
    assert referral.load(value) == []


def test_an_old_format_cookie_reads_as_none(app):
    with app.app_context():
        old = URLSafeSerializer(app.config["SECRET_KEY"], salt="mall.referral").dumps(
            [{"code": "SUNNY", "at": 100}]
        )
        assert referral.load(old) == []


def test_malformed_entries_are_dropped_and_the_rest_kept(app):
    signed = URLSafeSerializer(app.config["SECRET_KEY"], salt="mall.referral.ids")
    with app.app_context():
        value = signed.dumps(
            [
                {"a": A, "first": 50, "at": 100, "email": "someone@example.com"},
                {"a": "SUNNY", "at": 100},  # a code, not an id
                {"a": B, "at": True},
                {"a": B, "first": 500, "at": 200},  # a first click after the last: the last
                "junk",
            ]
        )
        assert referral.load(value) == [
            {"a": A, "first": 50, "at": 100},
            {"a": B, "first": 200, "at": 200},
        ]
        assert referral.load(signed.dumps({"a": A})) == []


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def test_the_checkout_keeps_what_the_cookie_said(app, client, make_shop, no_csrf):
    stocked = stock_shop(make_shop("acme", name="Acme Tools"))
    entries = referral.add_click(referral.add_click([], A, 1_700_000_000), B, 1_700_000_500)
    with app.app_context():
        client.set_cookie(referral.COOKIE, referral.dump(entries), domain="localhost")
    add_to_cart(client, stocked.variant_id)
    assert place(client, fill_checkout(client)).status_code == 303
    (checkout,) = db.session.scalars(sa.select(Checkout))
    assert checkout.referral == entries


def test_a_tampered_cookie_leaves_the_checkout_without_referral(client, make_shop, no_csrf):
    stocked = stock_shop(make_shop("acme", name="Acme Tools"))
    client.set_cookie(referral.COOKIE, "eyJhIjoiMSJ9.forged", domain="localhost")
    add_to_cart(client, stocked.variant_id)
    assert place(client, fill_checkout(client)).status_code == 303
    (checkout,) = db.session.scalars(sa.select(Checkout))
    assert checkout.referral == []
