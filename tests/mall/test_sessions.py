"""Sessions: sign-out really ends them (this device, or everywhere), cookies hold ids only,
and the cart survives signing in (it stays with the account at sign-out)."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from mall.extensions import limiter
from tests.conftest import DEFAULT_PASSWORD
from tests.mall.test_accounts import login, signed_in_as
from tests.mall.test_storefront import make_product


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def copy_cookies(source, target, names=("session", "remember_token")) -> None:
    """What someone who copied the browser's cookies has."""
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def sign_out(client, *, everywhere: bool = False):
    return client.post("/account/logout", data={"everywhere": "y"} if everywhere else {})


# ---------------------------------------------------------------- sign-out ends the session


def test_sign_out_with_keep_me_signed_in_signs_out(client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com", remember=True)
    assert signed_in_as(client) is not None
    assert client.get_cookie("remember_token") is not None  # a long-lived cookie
    assert sign_out(client).status_code == 303
    assert signed_in_as(client) is None
    assert client.get_cookie("remember_token") is None  # the browser was told to forget it


def test_cookies_copied_before_sign_out_are_useless_after_it(app, client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com", remember=True)
    thief = app.test_client()
    copy_cookies(client, thief)
    assert signed_in_as(thief) is not None  # the copy works while the session lasts
    remember_only = app.test_client()
    copy_cookies(client, remember_only, names=("remember_token",))

    sign_out(client)

    assert signed_in_as(thief) is None
    assert signed_in_as(remember_only) is None


def test_sign_out_ends_this_device_only(app, client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com")
    phone = app.test_client()
    login(phone, "ada@example.com", remember=True)
    sign_out(client)
    assert signed_in_as(client) is None
    assert signed_in_as(phone) is not None


def test_sign_out_everywhere_ends_every_session(app, client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com")
    phone = app.test_client()
    login(phone, "ada@example.com", remember=True)
    stolen = app.test_client()
    copy_cookies(phone, stolen, names=("remember_token",))
    page = signed_in_as(client)
    assert "Sign out everywhere" in page and "signed in on 2 devices" in page

    response = sign_out(client, everywhere=True)
    assert response.status_code in (302, 303)
    assert "signed out on every device" in client.get("/").get_data(as_text=True)
    assert signed_in_as(client) is None
    assert signed_in_as(phone) is None
    assert phone.get_cookie("remember_token") is None  # an ended session's cookie is dropped
    assert signed_in_as(stolen) is None
    login(client, "ada@example.com")  # signing in again works
    assert "signed in on 1 device" in signed_in_as(client)


def test_sign_out_when_not_signed_in_is_harmless(client, no_csrf):
    assert sign_out(client).status_code in (302, 303)
    assert sign_out(client, everywhere=True).status_code in (302, 303)
    assert signed_in_as(client) is None


def test_sign_out_needs_the_csrf_token(client, make_user, sign_in):
    user = make_user("ada@example.com")
    sign_in(user)
    sign_out(client)
    assert signed_in_as(client) is not None


def test_a_session_from_before_device_sessions_still_signs_out_for_good(
    app, client, make_user, sign_in, no_csrf
):
    """A session cookie issued before per-device sessions (``<user id>.<account token>``)."""
    user = make_user("ada@example.com")
    sign_in(user)
    copy = app.test_client()
    copy_cookies(client, copy, names=("session",))
    assert signed_in_as(copy) is not None
    sign_out(client)
    assert signed_in_as(client) is None
    assert signed_in_as(copy) is None


def test_a_tampered_or_unknown_session_id_is_anonymous(client, make_user):
    user = make_user("ada@example.com")
    for value in (f"{user.id}.not-a-token", "nonsense", f"{user.id}", ".", "x.y.z"):
        with client.session_transaction() as session:
            session["_user_id"] = value
        assert signed_in_as(client) is None


def test_changing_the_password_keeps_this_device_and_ends_the_others(
    app, client, make_user, no_csrf
):
    make_user("ada@example.com")
    login(client, "ada@example.com", remember=True)
    laptop = app.test_client()
    login(laptop, "ada@example.com", remember=True)
    copy = app.test_client()
    copy_cookies(client, copy, names=("remember_token",))
    new = "a brand new passphrase"
    response = client.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert "signed in on 1 device" in signed_in_as(client)
    assert signed_in_as(laptop) is None
    assert signed_in_as(copy) is not None  # the same device: its remember cookie still works


# ---------------------------------------------------------------- nothing personal in the cookie


def decode_session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    payload = cookie.value.split(".")[0 if not cookie.value.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    return raw.decode()


def test_session_cookie_holds_ids_only(client, make_user, no_csrf):
    user = make_user("ada@example.com", name="Ada Lovelace", phone="+44 20 7946 0000")
    login(client, "ada@example.com", remember=True)
    session_json = json.loads(decode_session_cookie(client))
    assert re.fullmatch(rf"{user.id}\.[A-Za-z0-9_-]{{43}}", session_json["_user_id"])
    everything = json.dumps(session_json) + client.get_cookie("remember_token").value
    # Whole values only: four digits turn up by chance in a random token's hex.
    for personal in (
        "ada@example.com",
        "Ada",
        "Lovelace",
        "+44 20 7946",
        "442079460000",
        "127.0.0.1",
    ):
        assert personal not in everything


HEX_DIGEST = re.compile(r"[0-9a-f]{64,}")


def test_session_cookie_holds_no_hash_of_the_ip_or_user_agent(client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com", remember=True, headers={"User-Agent": "Firefox/140"})
    client.get("/account/")
    session = json.loads(decode_session_cookie(client))
    assert "_id" not in session
    assert not HEX_DIGEST.search(json.dumps(session))
    assert set(session) <= {"_user_id", "_fresh", "csrf_token", "_flashes"}


def test_an_old_session_loses_its_ip_hash_on_the_next_request(client, make_user, sign_in):
    user = make_user("ada@example.com")
    sign_in(user)
    with client.session_transaction() as session:
        session["_id"] = "f" * 128  # what session protection used to store
    assert signed_in_as(client) is not None
    assert "_id" not in json.loads(decode_session_cookie(client))


def test_a_session_cookie_from_another_ip_still_works(client, make_user, no_csrf):
    """Sessions are protected server-side now, not by the client's address."""
    make_user("ada@example.com")
    login(client, "ada@example.com")
    response = client.get("/account/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200


# ---------------------------------------------------------------- the cart stays


def test_the_cart_survives_sign_in_and_stays_with_the_account(client, make_user, shop_a, no_csrf):
    made = make_product(shop_a, "Rain Shell")
    make_user("ada@example.com")
    client.post("/cart/add", data={"variant_id": str(made.variant_ids[0]), "quantity": "2"})
    assert "Rain Shell" in client.get("/cart/").get_data(as_text=True)

    login(client, "ada@example.com", remember=True)
    page = client.get("/cart/").get_data(as_text=True)
    assert "Rain Shell" in page and 'value="2"' in page

    # Signed out, the browser starts an empty guest cart; the account keeps its cart.
    sign_out(client)
    assert signed_in_as(client) is None
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)
    login(client, "ada@example.com")
    page = client.get("/cart/").get_data(as_text=True)
    assert "Rain Shell" in page and 'value="2"' in page


def test_the_account_keeps_its_cart_after_sign_out_everywhere(client, make_user, shop_a, no_csrf):
    made = make_product(shop_a, "Rain Shell")
    make_user("ada@example.com")
    login(client, "ada@example.com")
    client.post("/cart/add", data={"variant_id": str(made.variant_ids[0]), "quantity": "1"})
    sign_out(client, everywhere=True)
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)
    login(client, "ada@example.com")
    assert "Rain Shell" in client.get("/cart/").get_data(as_text=True)


def test_the_session_is_renewed_at_sign_in_but_for_the_cart(client, make_user, no_csrf):
    make_user("ada@example.com")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["cart_token"] = "not-a-token"
    login(client, "ada@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
