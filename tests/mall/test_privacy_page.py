"""The privacy page states each promise of the seeds in plain words, and its numbers come from the
settings the code runs on (change a setting: the page changes)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.conftest import DEFAULT_PASSWORD

PROMISES = [
    "never sell, rent, lease or pass on",  # no selling or passing on of data
    "one-way hashed (bcrypt)",  # hashed passwords
    "encrypted (AES-256-GCM) under a key that belongs to one shop",  # encrypted per shop
    "Staff of another shop cannot read them",
    "even they, like anyone holding a copy, see only ciphertext",  # database staff
    "Backups stay encrypted",
    "We do not store card details",
    "deleted the moment the shop marks the payment processed",  # offline card option
    "Cookies never hold your name, email or address",
    "Your IP address is personal data to us",
    "bare minimum it needs to take the payment",  # minimal data to payment processors
    "Newsletters are opt-in",  # newsletter opt-out
    "one-click unsubscribe link",
    "A welcome email",
    "secure contact form",
    "never sent by email",
    "only what they need to complete a transaction",  # shop owners: what a transaction needs
    "by sign-in and role",  # the CRM: login and roles
    "security updates",
    "We never email card details",
]


def text_of_page(client) -> str:
    html = client.get("/privacy").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_every_promise_is_stated(client):
    text = text_of_page(client)
    missing = [promise for promise in PROMISES if promise not in text]
    assert not missing


def test_the_numbers_come_from_the_settings(app, client, monkeypatch):
    text = text_of_page(client)
    assert "after 90 days" in text  # MALL_LOG_RETENTION_DAYS's default
    assert "(7 years unless the shop chose another" in text  # MALL_RETENTION_YEARS's default
    assert "for 48 hours" in text  # MALL_EXPORT_LINK_HOURS's default
    assert f"after {app.config['OFFLINE_CARD_DEADLINE_HOURS']} hours" in text
    for name, value in (
        ("LOG_RETENTION_DAYS", 30),
        ("RETENTION_YEARS", 10),
        ("EXPORT_LINK_HOURS", 1),
        ("OFFLINE_CARD_DEADLINE_HOURS", 12),
        ("CART_IDLE_DAYS", 14),
        ("DOWNLOAD_LINK_TTL", 2 * 3600),
        ("REMEMBER_COOKIE_DURATION", timedelta(days=60)),
    ):
        monkeypatch.setitem(app.config, name, value)
    text = text_of_page(client)
    assert "deleted after 30 days" in text
    assert "(10 years unless the shop chose another" in text
    assert "for 1 hour." in text  # singular
    assert "automatically after 12 hours" in text
    assert "for 14 days are deleted" in text
    assert "works for 2 hours" in text
    assert "Keep me signed in”, a signed cookie with your account's number" in text
    assert "for 60 days" in text


@pytest.mark.parametrize("name", ["MALL_RETENTION_YEARS", "MALL_LOG_RETENTION_DAYS"])
def test_the_settings_are_read_from_the_environment(name):
    from config import ConfigError, TestingConfig

    key = name.removeprefix("MALL_")
    assert getattr(TestingConfig({name: "3"}), key) == 3
    with pytest.raises(ConfigError, match=name):
        TestingConfig({name: "soon"})


def test_the_page_links_to_the_account_and_the_contact_form(client):
    html = client.get("/privacy").get_data(as_text=True)
    for path in ('href="/account/"', 'href="/contact"', 'href="/account/addresses"'):
        assert path in html


def test_the_page_names_each_cookie_and_what_it_holds(app, client, monkeypatch):
    text = text_of_page(client)
    assert "session: a signed session cookie" in text
    assert "your account's number and your sign-in's random key" in text
    assert "remember_token: only if you tick" in text
    assert "mall_ref: only if you came through an affiliate's link" in text
    monkeypatch.setitem(app.config, "SESSION_COOKIE_NAME", "mall_session")
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_NAME", "mall_remember")
    text = text_of_page(client)
    assert "mall_session: a signed session cookie" in text
    assert "mall_remember: only if you tick" in text


def test_no_cookie_holds_the_email_or_name(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user("cookie.reader@example.com", name="Cora Cookie")
    client.get("/cart/")  # a guest's cart key first
    response = client.post(
        "/account/login",
        data={"email": "cookie.reader@example.com", "password": DEFAULT_PASSWORD, "remember": "y"},
    )
    assert response.status_code in (302, 303)
    cookies = {name: client.get_cookie(name) for name in ("session", "remember_token")}
    assert all(cookies.values())
    session = app.session_interface.get_signing_serializer(app).loads(cookies["session"].value)
    assert session["_user_id"].startswith(f"{user.id}.")  # what the page says it holds
    readable = json.dumps(session) + cookies["remember_token"].value
    assert str(user.id) in cookies["remember_token"].value
    for personal in ("cookie.reader", "example.com", "Cora", "Cookie"):
        assert personal not in readable
