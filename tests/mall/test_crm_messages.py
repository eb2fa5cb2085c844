"""Messages between customers and shops: from the tracking page or the shop's page, signed in or
not; notices by email (a link, never the message); sealed bodies; one message per form; role
rules for staff; isolation between shops; a rate-limited public form."""

from __future__ import annotations

import re
from types import SimpleNamespace
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.crm.errors import CrmError
from mall.crm.messages import start_thread
from mall.crm.models import CrmMessage, CrmThread, ThreadStatus
from mall.crm.tokens import thread_token
from mall.extensions import db
from mall.orders.services import mark_order_paid
from mall.orders.tracking import tracking_token
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.mail import clear_outbox, link_in, sent_to, text_of


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def key() -> str:
    return uuid4().hex


def tracked(shop, email: str = "carol@example.com") -> str:
    with tenant_context(shop):
        order = place_order(shop, email=email)
        assert mark_order_paid(order)
        db.session.commit()
        return tracking_token(order)


def thread_of(shop, **kw) -> SimpleNamespace:
    """A committed thread of ``shop``: its id and the customer's link token."""
    with tenant_context(shop):
        thread, _ = start_thread(
            kw.pop("email", "dora@example.com"), body=kw.pop("body", "Hello"), key=key(), **kw
        )
        made = SimpleNamespace(id=thread.id, token=thread_token(thread))
        db.session.commit()
        return made


def member(shop, make_user, role: Role, email: str):
    user = make_user(email, name=email.split("@")[0].title())
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    return user


def test_a_customer_writes_about_an_order_and_reads_the_answer_by_the_emailed_link(
    app_ctx, client, shop_a, member_of_a, no_csrf, outbox
):
    token = tracked(shop_a)
    tracking = client.get(f"/orders/{token}").get_data(as_text=True)
    assert f"/orders/{token}/contact" in tracking

    form_page = client.get(f"/orders/{token}/contact")
    assert form_page.status_code == 200 and form_page.headers["Cache-Control"] == "no-store"
    form_key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', form_page.text)
    if form_key is None:
        form_key = re.search(r'value="([0-9a-f]{32})"', form_page.text)
    data = {"body": "Where is my teapot? Call me at 555-0199.", "key": form_key.group(1)}
    sent = client.post(f"/orders/{token}/contact", data=data)
    assert sent.status_code == 303 and "/messages/" in sent.headers["Location"]
    assert client.post(f"/orders/{token}/contact", data=data).status_code == 303  # twice
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CrmMessage)) == 1
        thread = db.session.scalars(sa.select(CrmThread)).one()
        assert thread.order_id is not None and thread.status is ThreadStatus.OPEN
        raw = db.session.execute(sa.text("SELECT body FROM crm_messages")).scalar_one()
    assert b"555-0199" not in bytes(raw)

    (received,) = sent_to(app_ctx, "carol@example.com")
    assert "555-0199" not in text_of(received)  # the notice links; it never carries the message
    thread_path = link_in(received, "/messages/")
    (notice,) = sent_to(app_ctx, "member-a@example.com")
    assert "555-0199" not in text_of(notice)
    assert link_in(notice, "/admin/messages/") == f"/shop/shop-a/admin/messages/{thread.id}"

    page = client.get(thread_path)
    assert page.status_code == 200 and "555-0199" in page.text
    assert page.headers["Cache-Control"] == "no-store"

    staff_page = client.get(f"/shop/shop-a/admin/messages/{thread.id}")
    assert "555-0199" in staff_page.text
    answer = {"body": "It ships tomorrow.", "key": key()}
    url = f"/shop/shop-a/admin/messages/{thread.id}/reply"
    assert client.post(url, data=answer).status_code == 303
    assert client.post(url, data=answer).status_code == 303  # a double click: one answer
    with tenant_context(shop_a):
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CrmMessage)) == 2
        assert db.session.get(CrmThread, (shop_a.id, thread.id)).status is ThreadStatus.WAITING

    answered = [m for m in sent_to(app_ctx, "carol@example.com") if "answered" in m["Subject"]]
    assert len(answered) == 1 and "ships tomorrow" not in text_of(answered[0])
    read = client.get(link_in(answered[0], "/messages/"))
    assert "It ships tomorrow." in read.text and "Member A" not in read.text

    back = client.post(thread_path, data={"body": "Thanks!", "key": key()})
    assert back.status_code == 303
    with tenant_context(shop_a):
        db.session.expire_all()
        assert db.session.get(CrmThread, (shop_a.id, thread.id)).status is ThreadStatus.OPEN


def test_anyone_writes_from_the_shop_page_and_gets_the_link_by_email_only(
    app_ctx, client, shop_a, member_of_a, no_csrf, outbox
):
    anonymous = client.application.test_client()
    page = anonymous.get("/shop/shop-a/contact/")
    assert page.status_code == 200 and "Write to Shop A" in page.text
    sent = anonymous.post(
        "/shop/shop-a/contact/",
        data={"name": "Gil", "email": "gil@example.com", "body": "Gift wrap?", "key": key()},
    )
    assert sent.status_code == 303 and "/messages/" not in sent.headers["Location"]
    (received,) = sent_to(app_ctx, "gil@example.com")
    assert anonymous.get(link_in(received, "/messages/")).status_code == 200
    # Staff are told nothing shows the address is the writer's (anyone can type any email).
    with tenant_context(shop_a):
        thread_id = db.session.scalars(sa.select(CrmThread.id)).one()
    staff_view = client.get(f"/shop/shop-a/admin/messages/{thread_id}").get_data(as_text=True)
    assert "Written without signing in" in staff_view

    bad = anonymous.post("/shop/shop-a/contact/", data={"email": "nope", "body": "", "key": key()})
    assert bad.status_code == 422
    assert "Write a message." in bad.text and "Enter an email" in bad.text
    expired = anonymous.post(
        "/shop/shop-a/contact/", data={"email": "gil@example.com", "body": "x", "key": "old"}
    )
    assert expired.status_code == 303


def test_a_signed_in_customer_writes_from_their_account_email(
    app_ctx, client, shop_a, make_user, sign_in, no_csrf, outbox
):
    customer = make_user("hana@example.com", name="Hana")
    sign_in(customer)
    sent = client.post(
        "/shop/shop-a/contact/",
        data={"email": "someone-else@example.com", "body": "Hi", "key": key()},
    )
    assert sent.status_code == 303 and "/messages/" in sent.headers["Location"]
    assert sent_to(app_ctx, "hana@example.com") and not sent_to(app_ctx, "someone-else@example.com")


def test_a_tampered_thread_link_answers_404(app_ctx, client, shop_a, no_csrf):
    token = thread_of(shop_a).token
    assert client.get(f"/messages/{token}").status_code == 200
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for path in (f"/messages/{flipped}", "/messages/nope", "/messages/" + "a" * 400):
        assert client.get(path).status_code == 404, path
    assert client.post("/orders/not-a-token/contact", data={"body": "x"}).status_code == 404


def test_a_thread_link_on_another_shops_host_answers_404(app_ctx, client, shop_a, shop_b):
    token = thread_of(shop_b).token
    assert client.get(f"/messages/{token}", headers={"Host": "shop-a.mall.test"}).status_code == 404


def test_staff_and_sales_reps_see_their_own_and_unassigned_threads_only(
    app_ctx, client, shop_a, make_user, sign_in, no_csrf
):
    manager = member(shop_a, make_user, Role.MANAGER, "manny@example.com")
    rep = member(shop_a, make_user, Role.SALES_REP, "rita@example.com")
    other = member(shop_a, make_user, Role.STAFF, "sam@example.com")
    free = thread_of(shop_a, subject="Unassigned one")
    mine = thread_of(shop_a, subject="Rita's one")
    theirs = thread_of(shop_a, subject="Sam's one")
    with tenant_context(shop_a):
        for thread, user in ((mine, rep), (theirs, other)):
            db.session.get(CrmThread, (shop_a.id, thread.id)).assignee_id = user.id
        db.session.commit()

    sign_in(rep)
    listing = client.get("/shop/shop-a/admin/messages/").text
    assert "Unassigned one" in listing and "Rita&#39;s one" in listing
    assert "Sam&#39;s one" not in listing
    assert client.get(f"/shop/shop-a/admin/messages/{theirs.id}").status_code == 404
    assert (
        client.post(
            f"/shop/shop-a/admin/messages/{theirs.id}/reply", data={"body": "x", "key": key()}
        ).status_code
        == 404
    )
    # A rep takes an unassigned thread, but cannot give it to someone else.
    refused = client.post(
        f"/shop/shop-a/admin/messages/{free.id}/assign",
        data={"assignee": other.id.hex},
        follow_redirects=True,
    )
    assert "Choose someone from the list" in refused.text
    took = client.post(
        f"/shop/shop-a/admin/messages/{free.id}/assign", data={"assignee": rep.id.hex}
    )
    assert took.status_code == 303
    assert client.get("/shop/shop-a/admin/customers/export.csv").status_code == 403

    sign_in(manager)
    listing = client.get("/shop/shop-a/admin/messages/").text
    assert "Sam&#39;s one" in listing and "Rita&#39;s one" in listing
    moved = client.post(
        f"/shop/shop-a/admin/messages/{theirs.id}/assign", data={"assignee": rep.id.hex}
    )
    assert moved.status_code == 303
    assert (
        client.post(
            f"/shop/shop-a/admin/messages/{theirs.id}/status", data={"status": "closed"}
        ).status_code
        == 303
    )
    bad = client.post(
        f"/shop/shop-a/admin/messages/{theirs.id}/status",
        data={"status": "nonsense"},
        follow_redirects=True,
    )
    assert "Choose a status" in bad.text
    with tenant_context(shop_a):
        db.session.expire_all()
        row = db.session.get(CrmThread, (shop_a.id, theirs.id))
        assert row.assignee_id == rep.id and row.status is ThreadStatus.CLOSED


def test_shop_a_sees_none_of_shop_bs_messages(
    app_ctx, client, shop_a, shop_b, member_of_a, no_csrf
):
    theirs = thread_of(shop_b, subject="Shop B secret", body="B's customer writes")
    listing = client.get("/shop/shop-a/admin/messages/").text
    assert "Shop B secret" not in listing
    for path, method in (
        (f"/shop/shop-a/admin/messages/{theirs.id}", "GET"),
        (f"/shop/shop-a/admin/messages/{theirs.id}/reply", "POST"),
        (f"/shop/shop-a/admin/messages/{theirs.id}/status", "POST"),
        (f"/shop/shop-a/admin/messages/{theirs.id}/assign", "POST"),
        (f"/shop/shop-b/admin/messages/{theirs.id}", "GET"),
    ):
        response = client.open(path, method=method, data={"body": "x", "key": key()})
        assert response.status_code == 404, path
        assert "B&#39;s customer writes" not in response.text


def test_bad_answers_get_a_message_not_an_error(app_ctx, client, shop_a, member_of_a, no_csrf):
    thread = thread_of(shop_a)
    url = f"/shop/shop-a/admin/messages/{thread.id}/reply"
    empty = client.post(url, data={"body": "  ", "key": key()})
    assert empty.status_code == 422 and "Write a message." in empty.text
    long = client.post(url, data={"body": "x" * 6000, "key": key()})
    assert long.status_code == 422
    stale = client.post(url, data={"body": "Hi", "key": "not-a-key"}, follow_redirects=True)
    assert "The form expired" in stale.text


def test_the_public_form_is_rate_limited(app_ctx, client, shop_a, no_csrf):
    codes = [
        client.post("/shop/shop-a/contact/", data={"email": "x", "key": key()}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10 and codes[10] == 429


def test_a_reused_form_key_never_opens_another_persons_thread(app_ctx, shop_a):
    with tenant_context(shop_a):
        used = key()
        first, made = start_thread("ivy@example.com", body="Mine", key=used)
        again, made_again = start_thread("ivy@example.com", body="Mine", key=used)
        assert made and not made_again and again.id == first.id
        with pytest.raises(CrmError, match="already used"):
            start_thread("mallory@example.com", body="Show me", key=used)
