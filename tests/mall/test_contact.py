"""The secure contact form: stored sealed, never emailed (the operators' email only says a message
waits), one message per form however often it is sent, rate limited, read and handled in the
operator's console inbox."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.accounts.contact import inbox
from mall.accounts.models import OperatorMessage
from mall.extensions import db, limiter
from tests.support.mail import clear_outbox, link_in, outbox_dir, sent_to, text_of

SECRET = "My new address is 7 Quiet Lane, Flat 3; please update my invoices"
SUBJECT = "Please correct my records"


@pytest.fixture(autouse=True)
def fresh(app):
    clear_outbox(app)
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def form_token(client) -> str:
    html = client.get("/contact").get_data(as_text=True)
    found = re.search(r'name="submission"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="submission"', html
    )
    return found.group(1)


def send(client, **overrides):
    data = {
        "name": "Grace Visitor",
        "email": "grace@example.com",
        "subject": SUBJECT,
        "body": SECRET,
        "submission": form_token(client),
        **overrides,
    }
    return client.post("/contact", data=data)


def messages() -> list[OperatorMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OperatorMessage)))


def test_a_visitor_writes_the_message_is_sealed_and_never_emailed(app, client, no_csrf, operator):
    response = send(client)
    assert response.status_code == 303
    (message,) = messages()
    assert message.body == SECRET and message.subject == SUBJECT and message.user_id is None
    # Sealed in the database: none of it readable in the columns.
    raw = db.session.execute(
        sa.select(sa.text("sender, subject, body")).select_from(sa.table("operator_messages"))
    ).one()
    for column in raw:
        blob = bytes(column)
        assert b"Quiet Lane" not in blob and b"grace" not in blob and b"correct" not in blob
    # The operator is told a message waits; the email holds nothing of it.
    (note,) = sent_to(app, operator.email)
    assert "/admin/messages" in link_in(note, "/admin/messages")
    for path in outbox_dir(app).glob("*.eml"):
        eml = path.read_text(errors="replace")
        for secret in ("Quiet Lane", SUBJECT, "Grace Visitor", "grace@example.com"):
            assert secret not in eml
    assert "waiting" in text_of(note)


def test_the_same_form_sent_twice_stores_one_message(app, client, no_csrf, operator):
    token = form_token(client)
    data = {"name": "Grace", "email": "grace@example.com", "body": SECRET, "submission": token}
    assert client.post("/contact", data=data).status_code == 303
    assert client.post("/contact", data=data).status_code == 303
    assert len(messages()) == 1
    assert len(sent_to(app, operator.email)) == 1


def test_bad_input_gets_a_message_and_a_400(client, no_csrf):
    for overrides, text in (
        ({"body": ""}, "Write your message."),
        ({"email": "not-an-email"}, "valid email"),
        ({"body": "x" * 6000}, "5000"),
        ({"submission": ""}, "expired"),
    ):
        response = send(client, **overrides)
        assert response.status_code == 400, overrides
        assert text in response.get_data(as_text=True), overrides
    assert messages() == []


def test_signed_out_visitors_are_rate_limited(client, no_csrf):
    codes = [send(client, submission=f"token-{n}").status_code for n in range(6)]
    assert codes[:5] == [303] * 5 and codes[5] == 429


def test_a_rate_limited_visitor_keeps_what_they_typed_and_is_told_how_long(client, no_csrf):
    for n in range(5):  # 5 an hour
        assert send(client, submission=f"token-{n}").status_code == 303
    typed = {
        "name": "Ivo Typist",
        "email": "ivo@example.com",
        "subject": "A long story",
        "body": "Three paragraphs I do not want to type again",
        "submission": "token-kept",
    }
    response = client.post("/contact", data=typed)
    assert response.status_code == 429
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 3000 < int(response.headers["Retry-After"]) <= 3600
    page = response.get_data(as_text=True)
    assert "Too many messages from your connection: try again in about an hour." in page
    assert "has not been sent" in page
    for value in typed.values():
        assert value in page, value  # the form again, as typed
    assert len(messages()) == 5
    # Once the hour is over, the kept form goes through as it is.
    limiter.reset()
    assert client.post("/contact", data=typed).status_code == 303
    assert any(message.body == typed["body"] for message in messages())


def test_a_signed_in_customer_has_the_form_filled_and_the_message_names_the_account(
    client, no_csrf, make_user, sign_in
):
    user = make_user("hana@example.com", name="Hana Member")
    sign_in(user)
    html = client.get("/contact").get_data(as_text=True)
    assert "hana@example.com" in html and "Hana Member" in html
    assert send(client, name="Hana Member", email="hana@example.com").status_code == 303
    (message,) = messages()
    assert message.user_id == user.id


def test_the_operator_reads_and_handles_messages(client, no_csrf, operator, sign_in, make_user):
    send(client)
    (message,) = messages()
    # Not an operator: refused.
    sign_in(make_user("nosy@example.com"))
    assert client.get("/admin/messages/").status_code == 403
    assert client.get(f"/admin/messages/{message.id}").status_code == 403
    assert client.post(f"/admin/messages/{message.id}/handled").status_code == 403
    sign_in(operator)
    listing = client.get("/admin/messages/").get_data(as_text=True)
    assert SUBJECT in listing and "1 waiting" in listing
    page = client.get(f"/admin/messages/{message.id}").get_data(as_text=True)
    assert "Quiet Lane" in page and "grace@example.com" in page
    assert client.post(f"/admin/messages/{message.id}/handled").status_code == 303
    again = client.post(f"/admin/messages/{message.id}/handled", follow_redirects=True)
    assert "already handled" in again.get_data(as_text=True)
    (handled,) = messages()
    assert handled.handled_at is not None and handled.handled_by_id == operator.id
    assert SUBJECT not in client.get("/admin/messages/").get_data(as_text=True)
    assert SUBJECT in client.get("/admin/messages/?handled=1").get_data(as_text=True)
    unknown = "0190aaaa-0000-7000-8000-000000000000"
    assert client.get(f"/admin/messages/{unknown}").status_code == 404


def test_the_inbox_query_count_is_constant(client, no_csrf, operator, sign_in, count_queries):
    send(client)
    sign_in(operator)
    with count_queries() as few:
        assert client.get("/admin/messages/").status_code == 200
    for n in range(4):
        send(client, submission=f"more-{n}")
    with count_queries() as many:
        assert client.get("/admin/messages/").status_code == 200
    assert many.count == few.count


def test_the_inbox_pages_by_position(app_ctx, client, no_csrf):
    for n in range(3):
        send(client, submission=f"page-{n}", subject=f"Subject {n}")
    first = inbox(per_page=2)
    assert [m.subject for m in first.items] == ["Subject 2", "Subject 1"] and first.older
