"""The welcome email: once, after the sign-up's address is confirmed; what the account can do and
how to change or delete it."""

from __future__ import annotations

import pytest

from mall.accounts.jobs import send_welcome_email
from mall.accounts.services import find_user_by_email
from mall.extensions import db
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mail import clear_outbox, link_in, sent_to, text_of


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    clear_outbox(app)


def welcomes(app, address: str) -> list:
    return [m for m in sent_to(app, address) if m["Subject"].startswith("Welcome")]


def test_welcome_after_the_address_is_confirmed_and_only_once(app, client, no_csrf):
    data = {"name": "Ada Lovelace", "email": "ada@example.com", "password": DEFAULT_PASSWORD}
    assert client.post("/account/register", data={**data, "confirm": DEFAULT_PASSWORD}).status_code
    assert welcomes(app, "ada@example.com") == []  # not before the address is confirmed
    (verify,) = sent_to(app, "ada@example.com")
    link = link_in(verify, "/account/verify/")
    client.get(link)
    client.get(link)  # a second click: no second welcome
    (welcome,) = welcomes(app, "ada@example.com")
    text = text_of(welcome)
    assert "Hello Ada Lovelace" in text
    assert link_in(welcome, "/account/").startswith("/account/")
    assert link_in(welcome, "/privacy") == "/privacy"
    assert "/account/orders" in text and "/account/addresses" in text and "/contact" in text
    assert "delete your account" in text and "change" in text
    # A replayed job sends nothing either.
    db.session.expire_all()
    user = find_user_by_email("ada@example.com")
    assert user.welcomed_at is not None
    send_welcome_email(str(user.id))
    db.session.commit()
    assert len(welcomes(app, "ada@example.com")) == 1


def test_no_welcome_for_a_changed_email(app, client, no_csrf, make_user, sign_in):
    user = make_user("old@example.com")
    sign_in(user)
    client.post(
        "/account/email", data={"new_email": "new@example.com", "password": DEFAULT_PASSWORD}
    )
    (verify,) = sent_to(app, "new@example.com")
    client.get(link_in(verify, "/account/verify/"))
    assert welcomes(app, "new@example.com") == []
