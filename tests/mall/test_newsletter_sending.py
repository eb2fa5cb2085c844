"""Sending newsletters: only to people opted in, in batches by a job, each recipient at
most once (however often the job runs), with the RFC 8058 unsubscribe headers; the shop's
and the operator's pages; transactional email does not depend on opt-in."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import job_ref, run_job
from mall.newsletters import sending
from mall.newsletters.errors import NewsletterError
from mall.newsletters.jobs import send_newsletter
from mall.newsletters.models import (
    ConsentSource,
    Delivery,
    MallNewsletter,
    Newsletter,
    NewsletterStatus,
)
from mall.newsletters.services import (
    create_newsletter,
    find_subscription,
    start_sending,
    subscribe,
    unsubscribe,
    update_newsletter,
)
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.support.mail import clear_outbox, link_in, outbox_dir, sent, text_of

PEOPLE = ("ann@example.com", "ben@example.com", "cy@example.com")


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def opt_in(shop, *emails: str) -> None:
    with tenant_context(shop):
        for email in emails:
            subscribe(email, source=ConsentSource.CHECKOUT)
        db.session.commit()


def draft(shop, subject="Spring news", body="Hello **friends**.") -> str:
    with tenant_context(shop):
        newsletter = create_newsletter(subject, body=body)
        newsletter_id = newsletter.id
        db.session.commit()
    return newsletter_id


def send(shop, newsletter_id) -> None:
    with tenant_context(shop):
        start_sending(db.session.get(Newsletter, (shop.id, newsletter_id)))
        db.session.commit()  # the job runs inline after the commit


def state(shop, newsletter_id):
    db.session.expire_all()
    with tenant_context(shop):
        n = db.session.get(Newsletter, (shop.id, newsletter_id))
        markers = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.newsletter_id == newsletter_id)
        )
        return n.status, n.recipients, n.sent_count, markers


def test_only_opted_in_people_get_it_with_one_click_unsubscribe_headers(app, app_ctx, shop_a):
    opt_in(shop_a, *PEOPLE)
    with tenant_context(shop_a):
        unsubscribe(find_subscription("cy@example.com"))
        db.session.commit()
    clear_outbox(app)
    newsletter_id = draft(shop_a)
    send(shop_a, newsletter_id)
    messages = sent(app)
    assert sorted(m["To"] for m in messages) == ["ann@example.com", "ben@example.com"]
    for message in messages:
        assert message["Subject"] == "Spring news"
        url = re.fullmatch(r"<(https?://\S+)>", message["List-Unsubscribe"]).group(1)
        assert "/emails/unsubscribe/" in url
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url in text_of(message)  # the same link in the text
        assert "@" not in url.split("/emails/unsubscribe/")[1]  # ids only
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<strong>friends</strong>" in html  # Markdown rendered
    assert state(shop_a, newsletter_id) == (NewsletterStatus.SENT, 2, 2, 2)


def test_batches_chain_until_everyone_is_reached(app, app_ctx, shop_a, monkeypatch):
    monkeypatch.setattr(sending, "BATCH_SIZE", 1)
    opt_in(shop_a, *PEOPLE)
    clear_outbox(app)
    newsletter_id = draft(shop_a)
    send(shop_a, newsletter_id)
    assert len(sent(app)) == 3
    assert state(shop_a, newsletter_id) == (NewsletterStatus.SENT, 3, 3, 3)


def test_a_rerun_or_second_send_never_sends_twice(app, app_ctx, shop_a):
    opt_in(shop_a, *PEOPLE)
    clear_outbox(app)
    newsletter_id = draft(shop_a)
    send(shop_a, newsletter_id)
    send(shop_a, newsletter_id)  # Send pressed again: already sent
    run_job(job_ref(send_newsletter), str(shop_a.id), str(newsletter_id))  # a replayed job
    assert len(sent(app)) == 3
    assert state(shop_a, newsletter_id)[3] == 3


def test_an_interrupted_run_resumes_and_skips_everyone_marked(app, app_ctx, shop_a):
    opt_in(shop_a, *PEOPLE)
    newsletter_id = draft(shop_a)
    with tenant_context(shop_a):
        newsletter = db.session.get(Newsletter, (shop_a.id, newsletter_id))
        newsletter.status = NewsletterStatus.SENDING  # as if the first run died after one claim
        newsletter.recipients = 3
        ann = find_subscription("ann@example.com")
        db.session.add(Delivery(newsletter_id=newsletter_id, subscription_id=ann.id))
        db.session.commit()
    clear_outbox(app)
    send(shop_a, newsletter_id)  # "Resume sending"
    assert sorted(m["To"] for m in sent(app)) == ["ben@example.com", "cy@example.com"]
    assert state(shop_a, newsletter_id)[0] is NewsletterStatus.SENT


def test_nothing_to_send_without_subscribers_and_a_sent_one_cannot_change(app_ctx, shop_a):
    newsletter_id = draft(shop_a)
    with tenant_context(shop_a):
        newsletter = db.session.get(Newsletter, (shop_a.id, newsletter_id))
        with pytest.raises(NewsletterError, match="Nobody has opted in"):
            start_sending(newsletter)
        newsletter.status = NewsletterStatus.SENT
        with pytest.raises(NewsletterError, match="no longer change"):
            update_newsletter(newsletter, subject="x", body="y")
        with pytest.raises(NewsletterError, match="needs a subject"):
            create_newsletter("  ", body="text")


def test_another_shops_subscribers_never_get_a_shops_newsletter(app, app_ctx, shop_a, shop_b):
    opt_in(shop_a, "ann@example.com")
    opt_in(shop_b, "ben@example.com")
    clear_outbox(app)
    send(shop_a, draft(shop_a))
    assert [m["To"] for m in sent(app)] == ["ann@example.com"]


# ---------------------------------------------------------------- the pages


@pytest.fixture
def owner_of_a(shop_a, make_user, sign_in):
    owner = make_user("owner-a@example.com")
    db.session.add(Membership(user_id=owner.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(owner)
    return owner


def test_the_shop_composes_previews_and_sends_with_progress(
    app, client, shop_a, owner_of_a, no_csrf
):
    opt_in(shop_a, *PEOPLE)
    clear_outbox(app)
    base = f"/shop/{shop_a.slug}/admin/newsletters/"
    page = client.get(base)
    assert page.status_code == 200 and "3 people have opted in" in page.get_data(as_text=True)
    bad = client.post(base, data={"subject": "", "body": ""})
    assert bad.status_code == 400 and "Enter a subject." in bad.get_data(as_text=True)
    response = client.post(base, data={"subject": "Sale", "body": "All **half** price"})
    assert response.status_code == 303
    show = response.headers["Location"]
    preview = client.get(show).get_data(as_text=True)
    assert "<strong>half</strong>" in preview and "Send to 3 subscribers" in preview
    assert (
        client.post(show, data={"subject": "Big sale", "body": "All half price"}).status_code == 303
    )
    assert client.post(f"{show}/send").status_code == 303
    assert client.post(f"{show}/send").status_code == 303  # double submit
    done = client.get(show).get_data(as_text=True)
    assert 'aria-valuenow="100"' in done and "3 of 3 recipients" in done
    assert sorted(m["To"] for m in sent(app)) == sorted(PEOPLE)
    assert {m["Subject"] for m in sent(app)} == {"Big sale"}
    assert "Big sale" in client.get(base).get_data(as_text=True)


def test_staff_without_shop_settings_cannot_send(client, shop_a, make_user, sign_in, no_csrf):
    staff = make_user("staff-a@example.com")
    db.session.add(Membership(user_id=staff.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(staff)
    newsletter_id = draft(shop_a)
    base = f"/shop/{shop_a.slug}/admin/newsletters/"
    assert client.get(base).status_code == 403
    assert client.post(f"{base}{newsletter_id}/send").status_code == 403


def test_the_newsletter_list_does_not_grow_queries_with_rows(
    client, shop_a, owner_of_a, count_queries
):
    base = f"/shop/{shop_a.slug}/admin/newsletters/"
    draft(shop_a)
    with count_queries() as few:
        client.get(base)
    for n in range(5):
        draft(shop_a, subject=f"News {n}")
    with count_queries() as more:
        client.get(base)
    assert more.count == few.count


def test_the_operator_sends_the_mall_newsletter(app, client, operator, sign_in, no_csrf):
    for email in PEOPLE[:2]:
        subscribe(email, source=ConsentSource.ACCOUNT, mall=True)
    db.session.commit()
    clear_outbox(app)
    sign_in(operator)
    response = client.post("/admin/newsletters/", data={"subject": "Mall news", "body": "Hi"})
    assert response.status_code == 303
    show = response.headers["Location"]
    assert client.post(f"{show}/send").status_code == 303
    assert 'aria-valuenow="100"' in client.get(show).get_data(as_text=True)
    messages = sent(app)
    assert sorted(m["To"] for m in messages) == sorted(PEOPLE[:2])
    path = link_in(messages[0], "/emails/unsubscribe/")
    assert client.post(path).status_code == 200
    assert not find_subscription(messages[0]["To"], mall=True).subscribed
    assert db.session.scalar(sa.select(MallNewsletter.status)) is NewsletterStatus.SENT


def test_customers_cannot_open_the_console_newsletters(client, make_user, sign_in):
    sign_in(make_user())
    assert client.get("/admin/newsletters/").status_code in (403, 404)


def test_the_raw_email_carries_the_unsubscribe_url_unencoded(app, app_ctx, shop_a):
    """Folded into RFC 2047 encoded words, the URL would be unreadable to mail clients."""
    opt_in(shop_a, "ann@example.com")
    clear_outbox(app)
    send(shop_a, draft(shop_a))
    (path,) = outbox_dir(app).glob("*.eml")
    raw = path.read_bytes().decode()
    header = re.search(r"^List-Unsubscribe: (.*)$", raw, re.MULTILINE).group(1)
    assert re.fullmatch(r"<https?://\S+/emails/unsubscribe/\S+>", header.strip())
    assert "=?utf-8?" not in raw.split("\n\n", 1)[0]
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", raw, re.MULTILINE)
