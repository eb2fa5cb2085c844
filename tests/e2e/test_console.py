"""An operator opens the console, sees the sign-ups chart, finds a pending shop and approves it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

PASSWORD = "operator passphrase 1"


def make_operator_and_shop(live_app) -> tuple[str, str, str]:
    """A fresh operator and a pending shop of our own (other journeys share the live database)."""
    from mall.accounts.services import create_user
    from mall.extensions import db
    from tenants.services import create_shop

    suffix = uuid.uuid4().hex[:8]
    email = f"operator-{suffix}@example.com"
    with live_app.app_context():
        create_user(email, PASSWORD, name="Journey Operator", verified=True, operator=True)
        shop = create_shop(f"journey-{suffix}", name=f"Journey Kites {suffix}")
        db.session.commit()
        return email, shop.slug, shop.name


def test_operator_approves_a_pending_shop(page, live_app):
    email, slug, name = make_operator_and_shop(live_app)

    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Operator console")).to_be_visible()
    chart = page.locator("canvas#signups-chart")
    expect(chart).to_be_visible()
    # Chart.js (vendored, loaded from a static file under the CSP) drew on the canvas.
    page.wait_for_function("() => window.Chart && window.Chart.getChart('signups-chart')")
    expect(page.locator("#signups-table caption")).to_contain_text("New users and new shops")
    expect(page.locator("#status-counts")).to_contain_text("Pending")

    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Shops"
    ).click()
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=pending"))
    # Other journeys may change the demo shops, so only check that the filter holds.
    badges = page.locator("#shop-list tbody .badge")
    expect(badges.first).to_have_text("pending")
    expect(badges.filter(has_not_text="pending")).to_have_count(0)
    page.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("#shop-status")).to_have_text("pending")
    page.get_by_role("button", name="Approve shop").click()
    expect(page.get_by_text(f"{name} is approved and open")).to_be_visible()
    expect(page.locator("#shop-status")).to_have_text("active")

    page.get_by_role("link", name="The whole audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    newest = page.locator("table.audit-log tbody tr").first
    expect(newest).to_contain_text("shop.approved")
    expect(newest).to_contain_text("o***@example.com")
    expect(newest).to_contain_text("127.0.0.x")
    newest.get_by_role("link").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert slug in page.content()
