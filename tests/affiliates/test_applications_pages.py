"""Affiliate applications through the pages: the program page, applying (with ``?by=``), the
affiliate's own page (their code and link, nobody else's; payout details), and the operator's
console (list, search, decisions, each once; everyone else refused)."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
import sqlalchemy as sa

from affiliates.applications import services
from affiliates.models import Affiliate, AffiliateStatus
from mall.extensions import db

ANSWERS = {
    "website": "https://blog.example.org/gardening",
    "promotion": "A weekly newsletter to 4,000 gardeners.",
    "payout_method": "paypal",
    "payout_email": "pay.me@example.net",
}


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def applied(user, **changes) -> Affiliate:
    row = services.apply(user, **{**ANSWERS, **changes})
    db.session.commit()
    return row


def approved(user, code: str) -> Affiliate:
    row = applied(user)
    services.approve(row, actor_id=None, code=code)
    db.session.commit()
    return row


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_program_page_offers_sign_in_or_apply(client, make_user, sign_in):
    page = client.get("/affiliates/?by=green-1")
    assert page.status_code == 200
    assert "Sign in to apply" in text(page) and "5%" in text(page)
    assert "/account/login?next=/affiliates/apply?by%3DGREEN-1" in text(page)
    sign_in(make_user())
    assert 'href="/affiliates/apply"' in text(client.get("/affiliates/"))


def test_a_customer_applies_once_and_sees_it_waiting(client, make_user, sign_in, no_csrf):
    recruiter = approved(make_user(), "GREEN-1")
    ada = make_user("ada@example.com")
    sign_in(ada)
    form = client.get("/affiliates/apply?by=green-1")
    assert form.status_code == 200 and 'value="GREEN-1"' in text(form)
    assert form.headers["Cache-Control"] == "private, no-store"
    sent = client.post("/affiliates/apply", data={**ANSWERS, "recruited_by_code": "green-1"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/affiliates/home")
    again = client.post("/affiliates/apply", data={**ANSWERS, "recruited_by_code": "green-1"})
    assert again.status_code == 303  # a double click: the same application
    mine = db.session.scalars(sa.select(Affiliate).where(Affiliate.user_id == ada.id)).one()
    assert mine.recruited_by_id == recruiter.id
    home = client.get("/affiliates/home")
    assert "Waiting" in text(home) and "Invited by GREEN-1" in text(home)
    assert client.get("/affiliates/apply").status_code == 302  # nothing more to apply for


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"website": "javascript:alert(1)"}, "starting with https://"),
        ({"promotion": ""}, "how you will promote"),
        ({"payout_email": "nope"}, "valid email address"),
        ({"payout_method": "gold"}, "Not a valid choice"),
        ({"recruited_by_code": "NOBODY-1"}, "No affiliate in the program"),
        ({"website": "https://example.com/" + "a" * 400}, "At most 300 characters"),
        ({"promotion": "\x00"}, "control"),
    ],
)
def test_bad_answers_come_back_with_a_message(client, make_user, sign_in, no_csrf, change, message):
    sign_in(make_user())
    page = client.post("/affiliates/apply", data={**ANSWERS, **change})
    assert page.status_code == 400 and message in text(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Affiliate)) == 0


def test_an_unconfirmed_account_confirms_its_address_first(client, make_user, sign_in, no_csrf):
    sign_in(make_user(verified=False))
    for response in (
        client.get("/affiliates/apply"),
        client.post("/affiliates/apply", data=ANSWERS),
    ):
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Affiliate)) == 0


def test_signed_out_people_are_sent_to_sign_in(client):
    for path in ("/affiliates/apply", "/affiliates/home"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/affiliates/home/payout").status_code in (302, 400)


def test_the_affiliate_page_shows_only_their_own_code_and_link(client, make_user, sign_in):
    bea = make_user()
    approved(bea, "BEA-LINKS")
    approved(make_user(), "SOMEONE-ELSE")
    sign_in(bea)
    page = text(client.get("/affiliates/home"))
    assert "BEA-LINKS" in page and "/r/BEA-LINKS" in page and "Approved" in page
    assert "SOMEONE-ELSE" not in page
    assert ANSWERS["payout_email"] in page  # their own payout address, for them to change
    sign_in(make_user())
    stranger = text(client.get("/affiliates/home"))
    assert "not applied" in stranger and "BEA-LINKS" not in stranger


def test_payout_details_are_changed_on_the_affiliate_page(client, make_user, sign_in, no_csrf):
    cy = make_user()
    row = approved(cy, "CY-PAYS")
    sign_in(cy)
    bad = client.post(
        "/affiliates/home/payout", data={"payout_method": "paypal", "payout_email": "x"}
    )
    assert bad.status_code == 400 and "valid email address" in text(bad)
    data = {"payout_method": "paypal", "payout_email": "cy.new@example.net"}
    saved = client.post("/affiliates/home/payout", data=data, follow_redirects=True)
    assert "payout details are saved" in text(saved)
    same = client.post("/affiliates/home/payout", data=data, follow_redirects=True)
    assert "nothing changed" in text(same)
    db.session.expire_all()
    assert services.get_affiliate(row.id).payout_email == "cy.new@example.net"


def test_only_operators_reach_the_console_pages(client, make_user, sign_in, no_csrf):
    row = applied(make_user())
    paths = [
        ("get", "/admin/affiliates/"),
        ("get", f"/admin/affiliates/{row.id}"),
        *[("post", f"/admin/affiliates/{row.id}/{verb}") for verb in services.TRANSITIONS],
    ]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 302  # sign in first
    sign_in(make_user())
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 403
    assert services.get_affiliate(row.id).status is AffiliateStatus.APPLIED


def test_the_operator_finds_and_approves_an_application_once(
    client, make_user, operator, sign_in, no_csrf
):
    row = applied(make_user("dee@example.com"))
    approved(make_user(), "OLD-HAND")
    sign_in(operator)
    listing = text(client.get("/admin/affiliates/"))
    assert f"/admin/affiliates/{row.id}" in listing and "OLD-HAND" not in listing
    assert "d***@example.com" in listing and "dee@example.com" not in listing
    assert 'href="/admin/affiliates/"' in listing  # the console's navigation
    found = text(client.get("/admin/affiliates/?status=all&code=old"))
    assert "OLD-HAND" in found and str(row.id) not in found
    detail = text(client.get(f"/admin/affiliates/{row.id}"))
    assert ANSWERS["website"] in detail and ANSWERS["promotion"] in detail
    assert ANSWERS["payout_email"] not in detail and "p***@example.net" in detail

    taken = client.post(f"/admin/affiliates/{row.id}/approve", data={"code": "old-hand"})
    assert taken.status_code == 409 and "belongs to another affiliate" in text(taken)
    bad = client.post(f"/admin/affiliates/{row.id}/approve", data={"code": "no spaces"})
    assert bad.status_code == 409 and "4 to 32 characters" in text(bad)
    done = client.post(f"/admin/affiliates/{row.id}/approve", data={"code": "dee-2026"})
    assert done.status_code == 303
    again = client.post(
        f"/admin/affiliates/{row.id}/approve", data={"code": ""}, follow_redirects=True
    )
    assert "already approved: nothing changed" in text(again)
    db.session.expire_all()
    assert services.get_affiliate(row.id).code == "DEE-2026"
    stale = client.post(f"/admin/affiliates/{row.id}/reject", data={"note": "No."})
    assert stale.status_code == 409 and "only a waiting application" in text(stale)


def test_the_operator_rejects_suspends_and_reinstates(
    client, make_user, operator, sign_in, no_csrf
):
    waiting = applied(make_user())
    earning = approved(make_user(), "EARNS-1")
    sign_in(operator)
    unnoted = client.post(f"/admin/affiliates/{waiting.id}/reject", data={"note": ""})
    assert unnoted.status_code == 409 and "Write a note" in text(unnoted)
    rejected = client.post(
        f"/admin/affiliates/{waiting.id}/reject",
        data={"note": "No site yet."},
        follow_redirects=True,
    )
    assert "Rejected" in text(rejected) and "No site yet." in text(rejected)
    base = f"/admin/affiliates/{earning.id}"
    assert client.post(f"{base}/suspend", data={"note": ""}).status_code == 303
    assert "Reinstate" in text(client.get(base))
    assert client.post(f"{base}/reinstate").status_code == 303
    again = client.post(f"{base}/reinstate", follow_redirects=True)
    assert "already active: nothing changed" in text(again)
    db.session.expire_all()
    assert services.get_affiliate(waiting.id).status is AffiliateStatus.REJECTED
    assert services.get_affiliate(earning.id).status is AffiliateStatus.APPROVED


def test_unknown_ids_and_bad_filters_do_not_break_the_console(client, operator, sign_in, no_csrf):
    sign_in(operator)
    assert client.get(f"/admin/affiliates/{uuid4()}").status_code == 404
    assert client.post(f"/admin/affiliates/{uuid4()}/approve").status_code == 404
    assert client.get("/admin/affiliates/?status=nonsense&older=junk&code=%25").status_code == 200


def test_the_console_list_costs_the_same_whatever_the_applications(
    client, make_user, operator, sign_in, count_queries
):
    sign_in(operator)
    for _ in range(2):
        applied(make_user())
    with count_queries() as few:
        assert client.get("/admin/affiliates/").status_code == 200
    for _ in range(8):
        applied(make_user())
    with count_queries() as many:
        page = client.get("/admin/affiliates/")
    assert len(re.findall(r'href="/admin/affiliates/[0-9a-f-]{36}"', text(page))) == 10
    assert many.count == few.count
