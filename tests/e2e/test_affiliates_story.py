"""The demo's affiliate story, click by click: the demo affiliate builds a link to a product, a
visitor follows it and buys from two shops in one checkout, the affiliate sees the click, the two
conversions and the pending commissions; the holding period passes (``flask mall affiliates
approve-due --now …``), the operator pays affiliates out with a PayPal batch, and the affiliate
sees the payout."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from affiliates.demo import AFFILIATE, CODE
from mall.demo.people import DEMO_PASSWORD
from tests.e2e.journeys import sign_in
from tests.e2e.test_affiliates_tracking import DESKTOP
from tests.e2e.test_checkout import add_from, fill_address

OPERATOR = "olive.operator@mall.example"
COFFEE, BASIL = "Colombia Decaf", "Sweet Basil"


@pytest.fixture
def minimum_payout_restored(live_app):
    """The story lowers the program's minimum payout: other journeys get it back after."""
    from affiliates.programs.settings import program_settings, save_program_settings
    from mall.extensions import db

    with live_app.app_context():
        before = program_settings().min_payout
    yield
    with live_app.app_context():
        save_program_settings({"min_payout": before}, actor_id=None)
        db.session.commit()


def flask_mall(live_app, *args: str) -> str:
    """``flask mall …`` on the live server's app; its output."""
    with live_app.app_context():
        result = live_app.test_cli_runner().invoke(args=["mall", *args])
    assert result.exit_code == 0, result.output
    return result.output


def dashboard_number(page, element_id: str) -> int:
    return int(page.locator(f"#{element_id}").inner_text())


def pending_count(page) -> int:
    return int(page.locator("#status-pending td").first.inner_text())


def build_a_link_to_the_coffee(page) -> str:
    """As the affiliate: open the product, build a short link to it; the link's path."""
    page.goto("/shop/copper-kettle/")
    page.get_by_role("link", name=COFFEE).first.click()
    product = urlsplit(page.url).path
    page.goto("/affiliates/dashboard")
    page.get_by_role("link", name="Build a link").click()
    page.get_by_label("Page of the mall").fill(product)
    page.get_by_role("button", name="Build my links").click()
    short = page.get_by_label("Short link", exact=True)
    expect(short).to_have_value(re.compile(rf"/r/{CODE}\?to="))
    link = urlsplit(short.input_value())
    return f"{link.path}?{link.query}"


def visitor_buys_from_two_shops(browser, live_server, link: str) -> list[str]:
    """A visitor (a desktop browser of their own) follows the link, adds the coffee and basil
    and pays with the test payment; the order numbers."""
    context = browser.new_context(base_url=live_server, user_agent=DESKTOP)
    visitor = context.new_page()
    visitor.set_default_timeout(10_000)
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        visitor.goto(link)
        expect(visitor.get_by_role("heading", name=COFFEE)).to_be_visible()
        assert [c["name"] for c in context.cookies()].count("mall_ref") == 1
        visitor.get_by_role("button", name="Add to cart").click()
        expect(visitor.get_by_role("heading", name="Your cart")).to_be_visible()
        add_from(visitor, "green-thumb", BASIL)
        visitor.get_by_role("link", name="Checkout").click()
        visitor.get_by_label("Email").fill("vera.visitor@example.com")
        visitor.get_by_role("button", name="Continue to the address").click()
        fill_address(visitor)
        visitor.get_by_role("button", name="Continue to shipping").click()
        visitor.get_by_role("button", name="Continue to payment").click()
        visitor.get_by_label(re.compile("^Test payment")).check()
        visitor.get_by_role("button", name="Review your order").click()
        visitor.get_by_test_id("place-order").click()
        expect(visitor.get_by_role("heading", name="Thank you for your order")).to_be_visible()
        numbers = visitor.get_by_role(
            "heading", name=re.compile(r"order [A-Z]+-\d+$")
        ).all_inner_texts()
    finally:
        context.close()
    assert not errors, errors
    return [text.split(" — order ")[1] for text in numbers]


def test_the_demo_affiliate_story(page, browser, live_app, live_server, minimum_payout_restored):
    from affiliates.programs.settings import program_settings
    from mall.db import utcnow

    # The demo affiliate signs in: the demo's clicks and sale are already on the dashboard.
    sign_in(page, AFFILIATE, DEMO_PASSWORD)
    page.get_by_role("link", name="Affiliate program").click()
    page.get_by_role("link", name="Your dashboard").click()
    expect(page.get_by_role("heading", name="Your affiliate dashboard")).to_be_visible()
    clicks = dashboard_number(page, "stat-clicks")
    conversions = dashboard_number(page, "stat-conversions")
    pending = pending_count(page)
    assert clicks > 0 and conversions > 0 and pending > 0
    link = build_a_link_to_the_coffee(page)

    numbers = visitor_buys_from_two_shops(browser, live_server, link)
    assert len(numbers) == 2

    # The click counts once the rollup ran (every 10 minutes; here at once).
    flask_mall(live_app, "affiliates", "rollup")
    page.goto("/affiliates/dashboard")
    expect(page.locator("#stat-clicks")).to_have_text(str(clicks + 1))
    expect(page.locator("#stat-conversions")).to_have_text(str(conversions + 2))
    expect(page.locator("#status-pending td").first).to_have_text(str(pending + 2))
    commissions = page.get_by_role("table", name="Your commissions in every shop, newest first")
    for number in numbers:
        expect(commissions.get_by_role("row").filter(has_text=number)).to_contain_text("Pending")

    # The holding period passes.
    with live_app.app_context():
        after_hold = utcnow().date() + timedelta(days=program_settings().holding_days + 1)
    output = flask_mall(live_app, "affiliates", "approve-due", "--now", after_hold.isoformat())
    assert "approved" in output
    page.reload()
    expect(page.locator("#status-pending td").first).to_have_text("0")
    expect(page.locator("#status-approved td").first).to_have_text(str(pending + 2))
    approved = page.locator("#status-approved td").nth(1).inner_text()

    # The operator lowers the demo's minimum payout to a dollar, then pays affiliates out.
    page.context.clear_cookies()
    sign_in(page, OPERATOR, DEMO_PASSWORD)
    page.goto("/admin/")
    console = page.get_by_role("navigation", name="Operator console")
    console.get_by_role("link", name="Affiliate program", exact=True).click()
    page.get_by_label("Minimum payout").fill("1.00")
    page.get_by_role("button", name="Save the affiliate program").click()
    expect(page.get_by_label("Minimum payout")).to_have_value("1.00")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Affiliate payouts", exact=True
    ).click()
    row = page.locator("#payable tbody tr").filter(has_text=CODE)
    expect(row).to_contain_text(approved)
    expect(row).to_contain_text("PayPal (CSV)")
    page.get_by_role("button", name="Make a payout batch").click()
    expect(page.get_by_role("alert").filter(has_text="Payout batch made")).to_be_visible()
    expect(page.locator("#batch-payouts tbody tr").filter(has_text=CODE)).to_contain_text(
        "in transit"
    )
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PayPal CSV").click()
    content = Path(info.value.path()).read_text(encoding="utf-8")
    assert f"{AFFILIATE},{approved.lstrip('$').replace(',', '')},USD,AP-" in content
    page.get_by_role("button", name="Mark the PayPal payouts paid").click()
    expect(page.get_by_role("alert").filter(has_text="marked paid")).to_be_visible()

    # The affiliate sees the payout and the commissions paid.
    page.context.clear_cookies()
    sign_in(page, AFFILIATE, DEMO_PASSWORD)
    page.goto("/affiliates/dashboard")
    payout = page.locator("#payouts tbody tr").first
    expect(payout).to_contain_text(approved)
    expect(payout).to_contain_text("PayPal")
    expect(payout).to_contain_text("Paid")
    expect(page.locator("#status-paid td").first).to_have_text(str(pending + 2))
