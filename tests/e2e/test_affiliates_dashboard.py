"""An approved affiliate opens their dashboard from their affiliate page, reads the last 30 days,
switches to 90, finds a commission from a shop, then builds a link to a page and copies it."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def approved_affiliate_with_history(live_app, suffix: str) -> tuple[str, str]:
    """An approved affiliate (signed up as a person) with 30 and 90 days of rollups and one
    commission from a shop; (email, code)."""
    import sqlalchemy as sa

    from affiliates.models import Affiliate, AffiliateDailyPage, AffiliateDailyStat, AffiliateStatus
    from mall.accounts.services import find_user_by_email
    from mall.db import utcnow
    from mall.extensions import db
    from tenants.models import Tenant
    from tests.crawl.affiliates_dashboard import make_commission

    email = f"dash-{suffix}@example.com"
    code = f"DASH-{suffix.upper()}"
    slug = f"lamps-{suffix}"
    make_person(live_app, email, name="Dana Dashboard")
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Lamps {suffix}"))
    with live_app.app_context():
        user_id = find_user_by_email(email).id
        mine = Affiliate(user_id=user_id, code=code, status=AffiliateStatus.APPROVED)
        db.session.add(mine)
        db.session.flush()
        today = utcnow().date()
        for days_ago, clicks, conversions, earned in ((0, 12, 1, 450), (50, 88, 3, 1200)):
            day = today - timedelta(days=days_ago)
            db.session.add(
                AffiliateDailyStat(
                    affiliate_id=mine.id,
                    day=day,
                    clicks=clicks,
                    visitors=clicks - 2,
                    conversions=conversions,
                    earned=earned,
                )
            )
            db.session.add(
                AffiliateDailyPage(
                    affiliate_id=mine.id, day=day, path=f"/shop/{slug}/", clicks=clicks
                )
            )
        db.session.commit()
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        make_commission(shop, affiliate=mine, amount=450)
    return email, code


def test_an_affiliate_reads_their_dashboard_and_builds_a_link(page, live_app, live_server, request):
    suffix = uuid4().hex[:6]
    email, code = approved_affiliate_with_history(live_app, suffix)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    refused = f"{live_server}/affiliates/links?url=https%3A%2F%2Fevil.example%2F"
    request.node.add_marker(pytest.mark.expect_http_error(refused))  # the form's 400

    sign_in(page, email)
    page.get_by_role("link", name="Affiliate program").click()
    expect(page.get_by_role("heading", name="Your affiliate page")).to_be_visible()
    page.get_by_role("link", name="Your dashboard").click()

    expect(page.get_by_role("heading", name="Your affiliate dashboard")).to_be_visible()
    period = page.get_by_role("navigation", name="Period")
    expect(period.get_by_role("link", name="Last 30 days")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#stat-clicks")).to_have_text("12")
    expect(page.locator("#stat-earned")).to_have_text("$4.50")
    expect(page.locator("#daily-chart")).to_be_visible()
    commissions = page.get_by_role("table", name="Your commissions in every shop, newest first")
    expect(commissions).to_contain_text(f"Lamps {suffix}")
    expect(commissions).to_contain_text("Pending")

    period.get_by_role("link", name="Last 90 days").click()
    expect(period.get_by_role("link", name="Last 90 days")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#stat-clicks")).to_have_text("100")
    expect(page.locator("#stat-conversions")).to_have_text("4")
    expect(page.locator("#stat-rate")).to_have_text("4%")
    page.get_by_text("Clicks and conversions per day as a table").click()
    expect(page.locator("#daily-table tbody tr")).to_have_count(90)

    page.get_by_role("link", name="Build a link").click()
    expect(page.get_by_role("heading", name="Build a link")).to_be_visible()
    page.get_by_label("Page of the mall").fill("https://evil.example/")
    page.get_by_role("button", name="Build my links").click()
    expect(page.locator("#url-errors")).to_contain_text("only lead to pages of the mall")

    page.get_by_label("Page of the mall").fill(f"/shop/lamps-{suffix}/")
    page.get_by_role("button", name="Build my links").click()
    short = page.get_by_label("Short link", exact=True)
    expect(short).to_have_value(re.compile(rf"/r/{code}\?to=%2Fshop%2Flamps-{suffix}%2F$"))
    expect(page.get_by_label("Link with your code")).to_have_value(
        re.compile(rf"/shop/lamps-{suffix}/\?ref={code}$")
    )
    page.get_by_role("button", name="Copy the short link").click()
    expect(page.locator("#copy-status")).to_have_text("Copied the short link.")
    assert page.evaluate("navigator.clipboard.readText()") == short.input_value()
