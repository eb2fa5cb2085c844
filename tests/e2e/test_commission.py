"""An operator gives a shop its own commission and a category override, then removes the
override; the mall-wide settings page shows the shop's rate."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def test_operator_sets_a_shops_commission(page, live_app):
    suffix = uuid.uuid4().hex[:8]
    email, slug, name = f"operator-{suffix}@example.com", f"rates-{suffix}", f"Rates {suffix}"
    make_person(live_app, email, name="Rates Operator", operator=True)
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, name))
    sign_in(page, email)

    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Commission"
    ).click()
    expect(page.get_by_role("heading", name="Commission", exact=True)).to_be_visible()
    page.get_by_label("Name or address").fill(slug)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_label("The shop's commission (%)").fill("12.5")
    page.get_by_role("button", name="Save the shop's rate").click()
    expect(page.get_by_role("alert")).to_contain_text("commission is now 12.5%")
    expect(page.locator("#rate-now")).to_contain_text("12.5%")

    page.get_by_label("Category", exact=True).select_option(index=1)
    page.get_by_label("Commission for this category (%)").fill("20")
    page.get_by_role("button", name="Save the category's rate").click()
    rows = page.locator("#category-rates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("20%")

    rows.first.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator("#category-rates")).to_have_count(0)
    expect(page.get_by_text("No category overrides")).to_be_visible()
