"""A shop owner adds a flat-rate shipping method for two countries and a tax rate."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def test_an_owner_adds_a_flat_rate_and_a_tax_rate(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"pricing-{suffix}@example.com"
    slug = f"pricing-{suffix}"
    make_person(live_app, email, name="Pat Owner", owns=(slug, f"Pricing Journey {slug}"))
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Shipping"
    ).click()
    expect(page.get_by_role("heading", name="Shipping", exact=True)).to_be_visible()
    page.get_by_role("link", name="New shipping method").click()
    page.get_by_label("Name", exact=True).fill("Standard post")
    page.get_by_label("Kind", exact=True).select_option("flat")
    page.get_by_label("Price", exact=True).fill("4.90")
    page.get_by_label("Free when the order reaches (optional)").fill("50")
    page.get_by_label("Countries served (none chosen: every country)").select_option(["DE", "AT"])
    page.get_by_role("button", name="Add the method").click()
    expect(page.get_by_text("“Standard post” is added.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Standard post")
    expect(row.get_by_text("$4.90")).to_be_visible()
    expect(row.get_by_text("Austria, Germany")).to_be_visible()

    page.get_by_role("navigation", name="Shop back office").get_by_role("link", name="Tax").click()
    expect(page.get_by_role("heading", name="Tax", exact=True)).to_be_visible()
    page.get_by_role("link", name="New tax rate").click()
    page.get_by_label("Tax class", exact=True).select_option("standard")
    page.get_by_label("Destination country", exact=True).select_option("DE")
    page.get_by_label("Rate (%)", exact=True).fill("19")
    page.get_by_label("Name shown on receipts (optional)").fill("MwSt")
    page.get_by_role("button", name="Add the rate").click()
    expect(page.get_by_text("The rate for Germany is added.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Germany")
    expect(row.get_by_text("19 %")).to_be_visible()
    page.get_by_label("My prices include tax").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your prices include tax.")).to_be_visible()
