"""A shop owner creates a 10% coupon in the back office, then deactivates it.

(Bad input answers 400, which a journey counts as a problem: see tests/mall/test_coupons_pages.py.)
"""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def test_an_owner_creates_a_ten_percent_coupon(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"coupons-{suffix}@example.com"
    slug = f"coupons-{suffix}"
    make_person(live_app, email, name="Cora Owner", owns=(slug, f"Coupon Journey {slug}"))
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Coupons", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Coupons", exact=True)).to_be_visible()
    page.get_by_role("link", name="New coupon").click()
    page.get_by_label("Code", exact=True).fill(" spring10 ")
    page.get_by_label("Discount", exact=True).select_option("percent")
    page.get_by_label("Percentage off (%)").fill("10")
    page.get_by_label("Uses in all (optional)").fill("100")
    page.get_by_role("button", name="Add the coupon").click()
    expect(page.get_by_text("Coupon SPRING10 is added.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="SPRING10")
    expect(row.get_by_text("10% off")).to_be_visible()
    expect(row.get_by_text("0 of 100")).to_be_visible()
    row.get_by_role("button", name="Deactivate SPRING10").click()
    expect(page.get_by_text("Coupon SPRING10 is deactivated.")).to_be_visible()
    expect(
        page.get_by_role("row").filter(has_text="SPRING10").get_by_text("Inactive")
    ).to_be_visible()
