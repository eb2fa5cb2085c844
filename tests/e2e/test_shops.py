"""A member opens a shop from the account menu and invites a colleague."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to


def test_a_member_opens_a_shop_and_invites_staff(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"founder-{suffix}@example.com"
    slug = f"journey-{suffix}"
    make_person(live_app, email, name="Fran Founder")
    sign_in(page, email)

    menu = page.locator("#account-menu")
    menu.get_by_role("button", name="Account").click()
    menu.get_by_role("link", name="Open a shop").click()
    expect(page.get_by_role("heading", name="Open a shop")).to_be_visible()

    page.get_by_label("Shop name").fill(f"Journey Goods {suffix}")
    page.get_by_label("Shop address").fill(slug)
    page.get_by_label("Description").fill("Things for the road.")
    page.get_by_label("Contact email (optional)").fill(f"shop-{suffix}@example.com")
    page.get_by_role("button", name="Open my shop").click()

    expect(page).to_have_url(re.compile(rf"/shop/{slug}/admin/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("waiting for approval").first).to_be_visible()

    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Staff"
    ).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    colleague = f"colleague-{suffix}@example.com"
    page.get_by_label("Email", exact=True).fill(colleague)
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_text(re.compile(r"Invitation sent to c\*\*\*@example\.com"))).to_be_visible()
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("cell", name="c***@example.com", exact=True)).to_be_visible()
    assert len(sent_to(live_app, colleague)) == 1

    # The shop is in the account menu now.
    menu.get_by_role("button", name="Account").click()
    expect(menu.get_by_role("link", name=f"Journey Goods {suffix}")).to_be_visible()
