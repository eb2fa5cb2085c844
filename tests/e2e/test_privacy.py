"""A customer asks for a copy of their data, opens the emailed link and downloads the ZIP; then
deletes their account with their password, and can no longer sign in."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.e2e.test_checkout import DOUBLE_PRESS, add_from, fill_address
from tests.support.mail import link_in, sent_to


def test_a_customer_exports_their_data_and_deletes_their_account(page, live_app):
    email = f"private-{uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Priya Private")
    sign_in(page, email)

    page.get_by_role("link", name="Your data and account deletion").click()
    expect(page.get_by_role("heading", name="Your data and privacy")).to_be_visible()
    page.get_by_role("button", name="Request my data").click()
    expect(page.get_by_text("We are preparing your data")).to_be_visible()

    [message] = [m for m in sent_to(live_app, email) if "data export" in m["Subject"]]
    link = link_in(message, "/account/privacy/export/")
    # The emailed link, opened in the signed-in browser, downloads the ZIP.
    with page.expect_download() as started:
        page.evaluate(
            """url => { const a = document.createElement('a'); a.href = url;
                        document.body.appendChild(a); a.click(); }""",
            link,
        )
    download = started.value
    assert re.fullmatch(r"mall-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with zipfile.ZipFile(Path(download.path())) as archive:
        data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == email
    assert data["account"]["name"] == "Priya Private"

    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    expect(page.get_by_role("heading", name="Kept, and why")).to_be_visible()
    page.get_by_label("Your password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()

    page.goto("/account/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()


def test_an_unpaid_order_is_cancelled_then_a_double_click_deletes_the_account(page, live_app):
    email = f"unpaid-{uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Uma Unpaid")
    sign_in(page, email)
    add_from(page, "paper-lantern", "Haiku for Rainy Days")
    page.get_by_role("link", name="Checkout").click()
    fill_address(page)
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_text("waits for your payment")).to_be_visible()

    page.goto("/account/privacy/delete")
    expect(page.get_by_text("A payment of yours is still in progress")).to_be_visible()
    expect(page.get_by_label("Your password", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Cancel the unpaid order").click()
    expect(page.get_by_text("The unpaid order is cancelled")).to_be_visible()

    page.get_by_label("Your password", exact=True).fill(DEFAULT_PASSWORD)
    # Two presses of "Delete my account": the second after the first was answered.
    page.get_by_role("button", name="Delete my account").evaluate(DOUBLE_PRESS)
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
