"""An affiliate connects a Stripe account (Express onboarding with Account Links), through the
Stripe stub: one account whatever the clicks, a new link when Stripe asks for one, the return
asks Stripe what the account can do, the Connect webhook keeps it fresh, and only an account
whose transfers are active is paid by Stripe. Stripe's refusals are a message, never a 500."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
import sqlalchemy as sa

from affiliates.applications import services as applications
from affiliates.models import Affiliate, AffiliatePayout, AffiliatePayoutStatus, PayoutMethod
from affiliates.payouts import connect, queries, services
from mall.accounts.erasure import erase_account
from mall.accounts.export_contents import personal_data
from mall.extensions import db
from tenants.models import AuditEvent
from tenants.settings import put_setting
from tests.affiliates.test_payouts import earn
from tests.conftest import DEFAULT_PASSWORD
from tests.support import stripe_checkout as stripe
from tests.support.stripe_checkout import connect_event

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on

HOME = "/affiliates/home"
CONNECT = "/affiliates/home/stripe"
REFRESH = "/affiliates/home/stripe/refresh"
RETURN = "/affiliates/home/stripe/return"
ANSWERS = {
    "website": "https://blog.example.org/tools",
    "promotion": "Reviews of hand tools.",
    "payout_method": "paypal",
    "payout_email": "ada.pay@example.net",
}


def an_affiliate(make_user, code: str, *, approve: bool = True) -> tuple:
    """(user, affiliate): applied, and approved with ``code`` unless ``approve`` is False."""
    user = make_user()
    row = applications.apply(user, **ANSWERS)
    if approve:
        assert applications.approve(row, actor_id=None, code=code)
    db.session.commit()
    return user, row


def reloaded(row: Affiliate) -> Affiliate:
    db.session.expire_all()
    return db.session.get(Affiliate, row.id)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def posts(stub, path: str) -> list:
    return [r for r in stub.requests if r.method == "POST" and r.path == path]


def link_id(response) -> str:
    match = re.search(r"/onboarding/(link_\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def test_connecting_makes_one_account_and_sends_the_person_to_stripe(
    client, make_user, sign_in, stripe_on
):
    user, ada = an_affiliate(make_user, "ADA-S1")
    sign_in(user)
    home = client.get(HOME)
    assert "Connect a Stripe account" in text(home)
    # The button's answer is a redirect to Stripe: the page lets the form go there.
    assert f"form-action 'self' {stripe_on.base}" in home.headers["Content-Security-Policy"]

    first = client.post(CONNECT)
    again = client.post(CONNECT)  # a double click
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"].startswith(f"{stripe_on.base}/onboarding/")
    assert link_id(first) != link_id(again)  # a link is single-use: each click gets its own

    (made,) = posts(stripe_on, "/v1/accounts")
    assert made.idempotency_key == f"mall-affiliate-{ada.id.hex}-account"
    assert made.params["type"] == "express"
    assert made.params["capabilities[transfers][requested]"] == "true"
    assert made.params["metadata[affiliate_id]"] == str(ada.id)
    assert not any("@" in value for value in made.params.values())  # no email, no name
    (account_id,) = stripe_on.accounts
    row = reloaded(ada)
    assert row.stripe_account_id == account_id and row.payout_method is PayoutMethod.STRIPE
    assert not row.stripe_transfers_active

    links = posts(stripe_on, "/v1/account_links")
    assert len(links) == 2 and {r.params["account"] for r in links} == {account_id}
    assert links[0].params["type"] == "account_onboarding"
    assert links[0].params["refresh_url"] == f"http://mall.test{REFRESH}"
    assert links[0].params["return_url"] == f"http://mall.test{RETURN}"
    audits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "affiliate.stripe_connected")
    ).all()
    assert [(a.target_id, a.details["stripe_account_id"]) for a in audits] == [
        (str(ada.id), account_id)
    ]
    page = text(client.get(HOME))
    assert "Continue on Stripe" in page and "Connect a Stripe account" not in page


def test_a_lost_first_answer_still_gives_one_account(app_ctx, make_user, stripe_on):
    _, ada = an_affiliate(make_user, "ADA-S2")
    urls = {"refresh_url": "http://mall.test/r", "return_url": "http://mall.test/b"}
    connect.start_onboarding(ada, **urls)
    first = ada.stripe_account_id
    db.session.rollback()  # the first request never committed (a race, a crash)
    assert reloaded(ada).stripe_account_id is None
    connect.start_onboarding(ada, **urls)
    db.session.commit()
    # The same idempotency key: Stripe answers with the account it made the first time.
    assert len(posts(stripe_on, "/v1/accounts")) == 2 and list(stripe_on.accounts) == [first]
    assert reloaded(ada).stripe_account_id == first


def test_stripe_asks_for_a_new_link(client, make_user, sign_in, stripe_on):
    user, _ = an_affiliate(make_user, "ADA-S3")
    sign_in(user)
    nothing = client.get(REFRESH)  # nothing connected yet: back to the page
    assert nothing.status_code == 303 and nothing.headers["Location"] == HOME
    assert not posts(stripe_on, "/v1/accounts")
    first = client.post(CONNECT)
    fresh = client.get(REFRESH)
    assert fresh.status_code == 303 and link_id(fresh) != link_id(first)
    assert len(posts(stripe_on, "/v1/accounts")) == 1
    assert len(posts(stripe_on, "/v1/account_links")) == 2


def test_the_return_asks_stripe_and_the_page_says_what_it_needs(
    client, make_user, sign_in, stripe_on
):
    user, ada = an_affiliate(make_user, "ADA-S4")
    sign_in(user)
    client.post(CONNECT)
    account_id = reloaded(ada).stripe_account_id

    back = client.get(RETURN, follow_redirects=True)  # left Stripe before finishing
    page = text(back)
    assert back.status_code == 200
    needs = "Stripe still needs: a bank account for payouts, accepting Stripe's terms, first name"
    assert needs in page and "Continue on Stripe" in page
    assert "payouts go to your PayPal address" in page
    row = reloaded(ada)
    assert row.stripe_synced_at is not None and not row.stripe_details_submitted
    assert row.stripe_requirements == [
        "external_account",
        "tos_acceptance.date",
        "individual.first_name",
    ]

    stripe_on.complete_onboarding(account_id)
    done = text(client.get(RETURN, follow_redirects=True))
    assert "Stripe account connected — transfers active" in done
    assert "Continue on Stripe" not in done and "Connect a Stripe account" not in done
    row = reloaded(ada)
    assert row.stripe_transfers_active and row.stripe_details_submitted
    assert row.stripe_requirements == []
    assert [r.path for r in stripe_on.requests if r.method == "GET"] == [
        f"/v1/accounts/{account_id}"
    ] * 2


def test_the_connect_webhook_keeps_the_affiliate_fresh(client, make_user, stripe_on):
    _, ada = an_affiliate(make_user, "ADA-S5")
    connect.start_onboarding(ada, refresh_url="http://mall.test/r", return_url="http://mall.test/b")
    account_id = ada.stripe_account_id
    assert connect.sync_stripe_account(ada)
    db.session.commit()
    account = stripe_on.complete_onboarding(account_id)

    old = connect_event(client, account, event_id="evt_aff_old", created=int(time.time()) - 3600)
    assert old.status_code == 200 and old.get_json()["outcome"] == "stale"
    assert not reloaded(ada).stripe_transfers_active  # older than what Mall heard last

    fresh = connect_event(client, account, event_id="evt_aff_new")
    assert fresh.get_json()["outcome"] == "applied"
    assert reloaded(ada).stripe_transfers_active
    assert connect_event(client, account, event_id="evt_aff_new").get_json() == {
        "received": True,
        "outcome": "replayed",
    }
    account["capabilities"]["transfers"] = "inactive"
    account["requirements"]["currently_due"] = ["external_account"]
    later = int(time.time()) + 5
    lost = connect_event(client, account, event_id="evt_aff_lost", created=later)
    assert lost.get_json()["outcome"] == "applied"
    row = reloaded(ada)
    assert not row.stripe_transfers_active and row.stripe_requirements == ["external_account"]
    nobody = {**account, "id": "acct_1NobodyKnows"}
    assert connect_event(client, nobody, event_id="evt_aff_x").get_json()["outcome"] == "unknown"


def test_only_an_account_with_transfers_active_is_paid_by_stripe(
    client, make_user, shop_a, stripe_on
):
    put_setting("affiliates.min_payout", 1000)
    _, ada = an_affiliate(make_user, "ADA-S6")
    _, bea = an_affiliate(make_user, "BEA-S6")
    for row in (ada, bea):
        connect.start_onboarding(row, refresh_url="http://mall.test/r", return_url="http://b")
        assert connect.sync_stripe_account(row)
        earn(shop_a, row, 2000)
    bea.payout_email = None  # no PayPal address to fall back on
    db.session.commit()

    payable = {
        row.affiliate.code: (row.method, row.blocked) for row in queries.payable_affiliates()
    }
    assert payable["ADA-S6"] == (PayoutMethod.PAYPAL, "")
    method, blocked = payable["BEA-S6"]
    assert method is None and blocked.startswith("Stripe still needs: a bank account for payouts")

    first = services.make_batch(batch_key="before", actor_id=None)
    db.session.commit()
    (paypal,) = db.session.scalars(
        sa.select(AffiliatePayout).where(AffiliatePayout.batch_id == first.batch.id)
    ).all()
    assert paypal.affiliate_id == ada.id and paypal.method is PayoutMethod.PAYPAL
    assert first.skipped == {blocked: 1}
    assert not posts(stripe_on, "/v1/transfers")

    # Stripe enables transfers (the webhook): the next batch pays Bea by transfer.
    account = stripe_on.complete_onboarding(bea.stripe_account_id)
    assert connect_event(client, account, event_id="evt_bea_on").get_json()["outcome"] == "applied"
    db.session.expire_all()  # the webhook's request changed the row
    second = services.make_batch(batch_key="after", actor_id=None)
    db.session.commit()
    db.session.expire_all()
    (paid,) = db.session.scalars(
        sa.select(AffiliatePayout).where(AffiliatePayout.batch_id == second.batch.id)
    ).all()
    assert paid.affiliate_id == bea.id and paid.method is PayoutMethod.STRIPE
    assert paid.status is AffiliatePayoutStatus.PAID
    assert stripe_on.transfers[paid.transfer_id]["destination"] == bea.stripe_account_id


@pytest.mark.parametrize("path", ["/v1/accounts", "/v1/account_links"])
def test_stripe_refusing_is_a_message_and_nothing_breaks(
    client, make_user, sign_in, stripe_on, path
):
    user, ada = an_affiliate(make_user, "ADA-S7")
    sign_in(user)
    stripe_on.failures[path] = (
        400,
        {"error": {"type": "invalid_request_error", "code": "platform_not_ready", "message": "x"}},
    )
    refused = client.post(CONNECT)
    assert refused.status_code == 303 and refused.headers["Location"] == HOME
    assert "Stripe could not set up your account just now" in text(client.get(HOME))
    kept = reloaded(ada).stripe_account_id
    # A refused account stores nothing; a refused link keeps the account Stripe made.
    assert (kept is None) is (path == "/v1/accounts")
    stripe_on.failures.clear()
    assert client.post(CONNECT).headers["Location"].startswith(stripe_on.base)
    assert len(stripe_on.accounts) == 1
    if kept:
        assert reloaded(ada).stripe_account_id == kept

    stripe_on.failures[f"/v1/accounts/{reloaded(ada).stripe_account_id}"] = (
        500,
        {"error": {"type": "api_error", "message": "down"}},
    )
    away = client.get(RETURN, follow_redirects=True)
    assert away.status_code == 200 and "could not hear from Stripe" in text(away)


def test_who_may_connect(app, client, make_user, sign_in, stripe_on, monkeypatch):
    waiting_user, waiting = an_affiliate(make_user, "", approve=False)
    sign_in(waiting_user)
    page = text(client.get(HOME))
    assert "Once your application is approved, you can connect a Stripe account" in page
    assert "Connect a Stripe account</button>" not in page
    refused = client.post(CONNECT, follow_redirects=True)
    assert refused.status_code == 200 and "Once your application is approved" in text(refused)
    assert reloaded(waiting).stripe_account_id is None

    user, _ = an_affiliate(make_user, "ADA-S9")
    sign_in(user)
    assert app.test_client().post(CONNECT).status_code == 302  # signed out: to sign in
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")  # Stripe is not configured
    home = client.get(HOME)
    assert "Connect a Stripe account" not in text(home)
    assert "form-action 'self';" in home.headers["Content-Security-Policy"]
    off = client.post(CONNECT, follow_redirects=True)
    assert off.status_code == 200 and "Stripe payouts are not available" in text(off)
    assert not posts(stripe_on, "/v1/accounts") and not stripe_on.accounts


def test_the_export_holds_the_account_and_deletion_forgets_it(app_ctx, make_user, stripe_on):
    user, ada = an_affiliate(make_user, "ADA-S8")
    connect.start_onboarding(ada, refresh_url="http://mall.test/r", return_url="http://b")
    assert connect.sync_stripe_account(ada)
    db.session.commit()
    exported = personal_data(user)["affiliate"]
    assert exported["stripe_account_id"] == ada.stripe_account_id
    assert exported["stripe_transfers_active"] is False
    erase_account(user, password=DEFAULT_PASSWORD)
    db.session.commit()
    row = reloaded(ada)
    assert row.stripe_account_id is None and row.stripe_synced_at is None
    assert row.stripe_requirements == [] and not row.stripe_transfers_active


def test_stripe_is_offered_as_a_payout_method_only_where_the_mall_can_pay_by_it(
    app, client, make_user, sign_in, stripe_on, monkeypatch
):
    user, _ = an_affiliate(make_user, "ADA-S10")
    sign_in(user)
    assert 'value="stripe"' in text(client.get(HOME))
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")  # Stripe is not configured
    assert 'value="stripe"' not in text(client.get(HOME))
    chosen = client.post(
        "/affiliates/home/payout",
        data={"payout_method": "stripe", "payout_email": "ada@example.com"},
    )
    assert chosen.status_code == 400 and "Not a valid choice" in text(chosen)
