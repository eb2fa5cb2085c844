"""An approved affiliate connects a Stripe account: "Connect a Stripe account" on their page
takes them to Stripe's onboarding (the Stripe stub's tiny page), they come back before
finishing and read what Stripe still needs, an expired link gets them a new one, and once
they submit their details the page says transfers are active.

The live app talks to the stub (``tests/support/stripe_stub.py``) for this journey only; its
``MALL_PUBLIC_URL`` is the live server, so Stripe's return and refresh addresses lead back to
it.
"""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import sign_in
from tests.support.stripe_stub import start_stub


@pytest.fixture
def stripe_stub(live_app, live_server):
    """The live app on Stripe (the stub) for one journey; the config as it was after."""
    from mall.payments.providers import forget_banner

    stub, server = start_stub()
    keys = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "PUBLIC_URL")
    before = {key: live_app.config.get(key) for key in keys}
    live_app.config.update(
        STRIPE_SECRET_KEY="sk_test_mall", STRIPE_API_BASE=stub.base, PUBLIC_URL=live_server
    )
    with live_app.app_context():
        forget_banner()
    try:
        yield stub
    finally:
        live_app.config.update(before)
        with live_app.app_context():
            forget_banner()
        server.shutdown()


def approved_affiliate(live_app, suffix: str) -> tuple[str, str]:
    """An approved affiliate paid by PayPal until Stripe is connected; (email, code)."""
    from affiliates.applications import services
    from mall.accounts.services import create_user
    from mall.extensions import db

    email, code = f"stripe-affiliate-{suffix}@example.com", f"STRIPE-{suffix.upper()}"
    with live_app.app_context():
        user = create_user(email, DEFAULT_PASSWORD, name="Stripe Affiliate", verified=True)
        row = services.apply(
            user,
            website="https://blog.example.org/tools",
            promotion="Reviews of hand tools.",
            payout_method="paypal",
            payout_email=f"paypal-{suffix}@pay.example.net",
        )
        services.approve(row, actor_id=None, code=code)
        db.session.commit()
    return email, code


def test_an_affiliate_connects_stripe_and_comes_back_to_transfers_active(
    page, live_app, live_server, stripe_stub
):
    email, _ = approved_affiliate(live_app, uuid4().hex[:6])
    sign_in(page, email)
    page.goto("/affiliates/home")
    stripe = page.locator("#stripe-account")
    expect(stripe).to_contain_text("Get paid by Stripe transfer")

    stripe.get_by_role("button", name="Connect a Stripe account").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_stub.base)}/onboarding/link_"))
    first_link = page.url
    heading = page.get_by_role("heading", name=re.compile("^Set up payouts for acct_"))
    expect(heading).to_be_visible()

    page.get_by_role("link", name="Return without finishing").click()
    expect(page).to_have_url(f"{live_server}/affiliates/home")
    expect(page.get_by_role("alert").filter(has_text="not ready for transfers yet")).to_be_visible()
    expect(page.locator("#stripe-state")).to_contain_text(
        "Stripe still needs: a bank account for payouts, accepting Stripe's terms, first name"
    )
    expect(page.locator("#stripe-state")).to_contain_text("payouts go to your PayPal address")

    # A used link sends the person to Mall's refresh address, which makes a new one.
    page.goto(first_link)
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_stub.base)}/onboarding/link_"))
    assert page.url != first_link
    page.get_by_role("link", name="Return without finishing").click()

    page.get_by_role("button", name="Continue on Stripe").click()
    page.get_by_role("link", name="Submit your details").click()
    expect(page).to_have_url(f"{live_server}/affiliates/home")
    expect(page.get_by_role("alert").filter(has_text="transfers active")).to_be_visible()
    expect(page.locator("#stripe-state")).to_contain_text(
        "Stripe account connected — transfers active"
    )
    expect(page.get_by_role("button", name="Continue on Stripe")).to_have_count(0)
    assert len([r for r in stripe_stub.requests if r.path == "/v1/accounts"]) == 1
