"""A customer reads about the affiliate program and applies; the operator finds the
application in the console and approves it with a code; the customer opens their affiliate
page from their account and sees their code and link."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def sign_out(page) -> None:
    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_a_customer_applies_and_the_operator_approves(page, live_app):
    suffix = uuid.uuid4().hex[:8]
    # A domain of its own: the console shows the address masked (first letter and domain).
    customer = f"blogger@{suffix}.example.com"
    operator = f"operator-{suffix}@example.com"
    code = f"JOURNEY-{suffix.upper()}"
    make_person(live_app, customer, name="Bea Blogger")
    make_person(live_app, operator, name="Journey Operator", operator=True)

    sign_in(page, customer)
    page.goto("/affiliates/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("affiliate program")
    page.get_by_role("link", name="Apply", exact=True).click()

    expect(page.get_by_role("heading", name="Apply to the affiliate program")).to_be_visible()
    page.get_by_label("Your website").fill("https://bea.example.org/garden-diary")
    page.get_by_label("How you will promote the mall").fill(
        "A weekly post about what grows in my garden, to 2,000 readers."
    )
    page.get_by_label("Payout email address").fill("bea.payouts@example.org")
    page.get_by_role("button", name="Send my application").click()

    expect(page.get_by_role("alert")).to_contain_text("your application is with us")
    expect(page.locator("#affiliate-status")).to_contain_text("Waiting")
    sign_out(page)

    sign_in(page, operator)
    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Affiliates", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Affiliates", exact=True)).to_be_visible()
    row = page.locator("#affiliate-list tbody tr").filter(has_text=f"b***@{suffix}.example.com")
    row.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Application")).to_be_visible()
    expect(page.get_by_text("https://bea.example.org/garden-diary")).to_be_visible()
    page.get_by_label(re.compile("^Code")).fill(code.lower())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"Approved with the code {code}")).to_be_visible()
    expect(page.locator("#affiliate-status")).to_have_text("Approved")
    sign_out(page)

    sign_in(page, customer)
    page.get_by_role("link", name="Affiliate program").click()
    expect(page.get_by_role("heading", name="Your affiliate page")).to_be_visible()
    expect(page.locator("#affiliate-status")).to_contain_text("Approved")
    expect(page.locator("#affiliate-code")).to_have_text(code)
    expect(page.locator("#affiliate-link")).to_have_text(re.compile(f"/r/{code}$"))
