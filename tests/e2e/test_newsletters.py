"""A guest opts in to a shop's newsletter at checkout, the shop writes and sends one, and
the customer unsubscribes with the link in the email (.eml in the outbox), signed out."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import checkout_digital_to_review, sign_in
from tests.support.mail import link_in, sent_to

OWNER = "maya.member@mall.example"  # owns every demo shop (DEMO_PEOPLE)
PRODUCT = "Gridline Mono Font"  # Pixel Forge's digital product: no shipping address


def test_opt_in_at_checkout_newsletter_sent_and_one_click_unsubscribe(page, live_app):
    email = f"reader-{uuid4().hex[:8]}@example.com"
    checkout_digital_to_review(page, email, "Rita Reader", product=PRODUCT)
    shop_box = page.get_by_label("Send me Pixel Forge's newsletter")
    expect(shop_box).not_to_be_checked()  # never pre-ticked
    expect(page.get_by_label(re.compile(r"^Send me the .*'s newsletter$"))).not_to_be_checked()
    shop_box.check()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()

    # The shop writes, previews and sends a newsletter.
    page.context.clear_cookies()
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/shop/pixel-forge/admin/newsletters/")
    subject = f"New fonts {uuid4().hex[:6]}"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Text").fill("Three **new** fonts this week.")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_role("region", name="Preview").locator("strong")).to_have_text("new")
    page.get_by_test_id("send-newsletter").click()
    expect(page.get_by_text(re.compile(r"\d+ of \d+ recipients handled"))).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")

    # The customer opens the link from the email, signed out, and unsubscribes.
    with live_app.app_context():
        messages = [m for m in sent_to(live_app, email) if m["Subject"] == subject]
    assert len(messages) == 1
    assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.context.clear_cookies()
    page.goto(link_in(messages[0], "/emails/unsubscribe/"))
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    page.get_by_test_id("unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    page.reload()  # the same POST again (the browser re-submits): still unsubscribed
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
