"""Account deletion: the page says what goes and what stays; the password deletes the account at
once (signed out, personal data gone, even from the database file); the shops' order copies stay,
unlinked from the account."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.erasure import STEPS_KEY, erase_account
from mall.accounts.export import PrivacyError
from mall.accounts.models import DeviceSession, LoginEvent, SavedAddress, User
from mall.accounts.services import authenticate, create_user, find_user_by_email
from mall.accounts.sessions import start_session
from mall.checkout.models import Checkout
from mall.extensions import db
from mall.orders.models import Order
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.conftest import DEFAULT_PASSWORD, dispose_app, make_test_app
from tests.crawl.orders import place_order
from tests.support.shopping import csrf_of

EMAIL = "erin.erase@example.com"


def key_of(html: str) -> str:
    found = re.search(r'name="key"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="key"', html
    )
    return found.group(1) if found else ""


def a_customer_with_history(shop, make_user=None):
    """A customer with a sign-in, a session, a saved address and an order of ``shop``."""
    user = (
        make_user(EMAIL, name="Erin Erasable")
        if make_user
        else create_user(EMAIL, DEFAULT_PASSWORD, name="Erin Erasable", verified=True)
    )
    authenticate(EMAIL, DEFAULT_PASSWORD, ip_address="203.0.113.50")
    start_session(user, remember=True)
    saved = SavedAddress(user_id=user.id)
    saved.address_json = '{"name": "Erin Erasable"}'
    saved.fingerprint = bytes(32)
    db.session.add(saved)
    with tenant_context(shop):
        order = place_order(
            shop,
            email=EMAIL,
            address=PostalAddress(
                name="Erin Erasable",
                line1="5 Gone Street",
                city="Springfield",
                postal_code="62701",
                country="US",
            ),
        )
        order.user_id = user.id
        checkout = db.session.get(Checkout, order.checkout_id)
        checkout.user_id = user.id
        checkout.email = EMAIL
        order_id = order.id
    db.session.commit()
    return user, order_id


def test_the_page_lists_what_goes_and_what_stays(client, make_user, sign_in, app):
    user = make_user(EMAIL)
    sign_in(user)
    page = client.get("/account/privacy/delete")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Deleted at once" in text and "Kept, and why" in text
    assert f"After {app.config['RETENTION_YEARS']} years" in text
    assert "Delete my account" in text


def test_a_wrong_password_deletes_nothing(client, make_user, sign_in):
    user = make_user(EMAIL)
    sign_in(user)
    token = csrf_of(client.get("/account/privacy/delete").text)
    wrong = client.post(
        "/account/privacy/delete", data={"csrf_token": token, "password": "not my password"}
    )
    assert wrong.status_code == 400
    assert "Your password is not correct." in wrong.get_data(as_text=True)
    empty = client.post("/account/privacy/delete", data={"csrf_token": token, "password": ""})
    assert empty.status_code == 400
    assert find_user_by_email(EMAIL) is not None


def test_deleting_removes_the_account_at_once_and_keeps_the_shops_copy(
    client, app_ctx, shop_a, make_user, sign_in
):
    user, order_id = a_customer_with_history(shop_a, make_user)
    user_id = user.id
    sign_in(user)
    token = csrf_of(client.get("/account/privacy/delete").text)
    response = client.post(
        "/account/privacy/delete", data={"csrf_token": token, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 303 and response.location.endswith("/")
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert find_user_by_email(EMAIL) is None
    for model in (LoginEvent, DeviceSession, SavedAddress):
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.user_id == user_id)
        )
        assert count == 0, model
    checkout = db.session.scalar(sa.select(Checkout).where(Checkout.email_index.is_not(None)))
    assert checkout is None  # the platform's copy of the checkout's contact went too
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        assert order.user_id is None
        assert order.email == EMAIL  # the shop's own copy, for its tax records
        assert order.total > 0
    # Signed out: the account page asks to sign in, and the password no longer works.
    assert client.get("/account/").status_code == 302
    assert authenticate(EMAIL, DEFAULT_PASSWORD, ip_address=None) is None
    # The same form sent again changes nothing.
    again = client.post(
        "/account/privacy/delete", data={"csrf_token": token, "password": DEFAULT_PASSWORD}
    )
    assert again.status_code in (302, 400)


def test_the_delete_form_sent_twice_lands_on_the_goodbye_both_times(client, make_user, sign_in):
    user = make_user(EMAIL)
    user_id = user.id
    sign_in(user)
    page = client.get("/account/privacy/delete").text
    form = {"csrf_token": csrf_of(page), "key": key_of(page), "password": DEFAULT_PASSWORD}
    old_cookie = client.get_cookie("session").value
    first = client.post("/account/privacy/delete", data=form)
    # A double click: the second press carries the new (signed-out) session cookie ...
    second = client.post("/account/privacy/delete", data=form)
    # ... or, sent before the first answer came back, the old one.
    client.set_cookie("session", old_cookie)
    third = client.post("/account/privacy/delete", data=form)
    for response in (first, second, third):
        assert response.status_code == 303 and response.location == "/", response.location
    home = client.get("/").text
    assert "Your account is deleted." in home
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    # Someone else's stale or forged form is not a goodbye: signed out, it asks to sign in.
    other = make_user("other@example.com")
    sign_in(other)
    other_page = client.get("/account/privacy/delete").text
    with client.session_transaction() as session:
        session.clear()
    response = client.post(
        "/account/privacy/delete",
        data={"csrf_token": csrf_of(other_page), "key": key_of(other_page), "password": "x"},
    )
    assert response.status_code == 302 and "/account/login" in response.location
    forged = client.post("/account/privacy/delete", data={**form, "key": form["key"][:-3] + "abc"})
    assert forged.status_code == 302 and "/account/login" in forged.location


def test_a_shop_member_or_operator_is_refused(app_ctx, shop_a, make_user, client, sign_in):
    member = make_user("member@example.com")
    db.session.add(Membership(user_id=member.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    with pytest.raises(PrivacyError, match="team of a shop"):
        erase_account(member, password=DEFAULT_PASSWORD)
    operator = make_user("op@example.com", operator=True)
    with pytest.raises(PrivacyError, match="operator"):
        erase_account(operator, password=DEFAULT_PASSWORD)
    sign_in(member)
    page = client.get("/account/privacy/delete").get_data(as_text=True)
    assert "Hand the shop over or leave its team first" in page
    assert 'name="password"' not in page


def test_newsletter_subscriptions_go_too(app_ctx, shop_a, make_user):
    from mall.newsletters.models import ConsentSource, MallSubscription, Subscription

    user = make_user(EMAIL)
    by_address = MallSubscription(source=ConsentSource.CHECKOUT)  # a guest opt-in, same address
    by_address.email = EMAIL.upper()
    db.session.add(by_address)
    db.session.commit()
    with tenant_context(shop_a):
        shop_list = Subscription(source=ConsentSource.ACCOUNT, user_id=user.id)
        shop_list.email = EMAIL
        db.session.add(shop_list)
        db.session.commit()
    erase_account(user, password=DEFAULT_PASSWORD)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MallSubscription)) == 0
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_other_domains_delete_what_they_hold(app, app_ctx, make_user):
    user = make_user(EMAIL)
    seen = []
    app.extensions.setdefault(STEPS_KEY, []).append(lambda u: seen.append(u.id))
    try:
        erase_account(user, password=DEFAULT_PASSWORD)
    finally:
        app.extensions[STEPS_KEY].pop()
    assert seen == [user.id]


# ---------------------------------------------------------------- the database file / dump


def sealed_email_of(app) -> tuple[bytes, bytes]:
    with app.app_context():
        user = find_user_by_email(EMAIL)
        return bytes(user.email_ct), bytes(user.email_index)


def erase_everything(app) -> None:
    with app.app_context():
        user = find_user_by_email(EMAIL)
        erase_account(user, password=DEFAULT_PASSWORD)
        db.session.commit()


def seeded(app) -> None:
    from tenants.services import create_shop

    with app.app_context():
        shop = create_shop("erase-shop", name="Erase Shop")
        db.session.commit()
        a_customer_with_history(shop)
        # A sign-in rewrites the row: the old copy of it is freed space in the file.
        authenticate(EMAIL, DEFAULT_PASSWORD, ip_address="203.0.113.51")
        db.session.commit()


def test_the_sqlite_file_no_longer_holds_the_account(tmp_path):
    app = make_test_app("sqlite", tmp_path)
    try:
        seeded(app)
        ciphertext, index = sealed_email_of(app)
        before = (tmp_path / "test.db").read_bytes()
        assert ciphertext in before and index in before  # the search is real
        erase_everything(app)
    finally:
        dispose_app(app)
    after = (tmp_path / "test.db").read_bytes()
    assert ciphertext not in after
    assert index not in after


PG_DUMP_URL = os.environ.get("MALL_TEST_DUMP_DATABASE_URL")
PG_DUMP_MIGRATION_URL = os.environ.get("MALL_TEST_DUMP_MIGRATION_DATABASE_URL") or PG_DUMP_URL
BACKUP_ROLE = os.environ.get("MALL_TEST_BACKUP_ROLE", "postgres")


def pg_dump() -> bytes:
    url = sa.make_url(PG_DUMP_MIGRATION_URL)
    return subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "--inserts",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            BACKUP_ROLE,
            url.database,
        ],
        check=True,
        capture_output=True,
    ).stdout


@pytest.mark.skipif(not PG_DUMP_URL, reason="PostgreSQL suite: set MALL_TEST_DUMP_DATABASE_URL")
def test_a_pg_dump_no_longer_holds_the_account(tmp_path):
    from tests import conftest

    saved = conftest.PG_URL, conftest.PG_MIGRATION_URL
    conftest.PG_URL, conftest.PG_MIGRATION_URL = PG_DUMP_URL, PG_DUMP_MIGRATION_URL
    try:
        app = make_test_app("postgresql", tmp_path)
    finally:
        conftest.PG_URL, conftest.PG_MIGRATION_URL = saved
    try:
        seeded(app)
        ciphertext, index = sealed_email_of(app)
        # pg_dump writes bytea as hex ('\x…') in --inserts mode.
        before = pg_dump()
        assert ciphertext.hex().encode() in before and index.hex().encode() in before
        erase_everything(app)
    finally:
        dispose_app(app)
    after = pg_dump()
    assert ciphertext.hex().encode() not in after
    assert index.hex().encode() not in after
