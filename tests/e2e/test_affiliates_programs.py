"""The affiliate program's rates: the operator sets the mall rate; a shop owner leaves the
mall program, gives one product its own rate, then takes it away."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def make_product(live_app, slug: str, title: str) -> None:
    """A published product of the shop ``slug``."""
    from mall.catalog.models import ProductStatus
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.resolution import find_shop

    with live_app.app_context():
        with tenant_context(find_shop(slug)):
            create_product(
                ProductInput(
                    title=title,
                    status=ProductStatus.PUBLISHED,
                    variants=[VariantInput(sku=f"AFF-{uuid.uuid4().hex[:8]}", price=4000)],
                )
            )
        db.session.commit()


def test_operator_sets_the_mall_rate(page, live_app, live_server, request):
    request.node.add_marker(
        pytest.mark.expect_http_error(f"{live_server}/admin/affiliates/settings")
    )
    email = f"operator-{uuid.uuid4().hex[:8]}@example.com"
    make_person(live_app, email, name="Program Operator", operator=True)
    sign_in(page, email)

    page.goto("/admin/")
    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Affiliate program"
    ).click()
    expect(page.get_by_role("heading", name="Affiliate program", exact=True)).to_be_visible()
    expect(page.locator("#program-now")).to_contain_text("the mall rate is 5%")

    page.get_by_label("Mall rate", exact=True).fill("7.5")
    page.get_by_label("Which click wins").select_option("first")
    page.get_by_role("button", name="Save the affiliate program").click()
    expect(page.get_by_role("alert")).to_contain_text("Affiliate program saved")
    expect(page.locator("#program-now")).to_contain_text("the mall rate is 7.5%")
    expect(page.locator("#program-now")).to_contain_text("the first click wins")

    page.get_by_label("Cookie lifetime (days)").fill("0")
    page.get_by_role("button", name="Save the affiliate program").click()
    expect(page.get_by_text("Enter a whole number from 1 to 365.")).to_be_visible()
    expect(page.get_by_label("Cookie lifetime (days)")).to_have_value("0")

    # Back as the other journeys expect the mall program.
    page.get_by_label("Cookie lifetime (days)").fill("30")
    page.get_by_label("Mall rate", exact=True).fill("5")
    page.get_by_label("Which click wins").select_option("last")
    page.get_by_role("button", name="Save the affiliate program").click()
    expect(page.locator("#program-now")).to_contain_text("the mall rate is 5%")


def test_shop_owner_opts_out_and_sets_a_product_rate(page, live_app, live_server, request):
    suffix = uuid.uuid4().hex[:8]
    email, slug, name = f"owner-{suffix}@example.com", f"lamps-{suffix}", f"Lamps {suffix}"
    lamp = f"Desk Lamp {suffix}"  # unique: the storefront journey searches the mall for its own
    request.node.add_marker(
        pytest.mark.expect_http_error(f"{live_server}/shop/{slug}/admin/affiliates/products")
    )
    make_person(live_app, email, owns=(slug, name))
    make_product(live_app, slug, lamp)
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Affiliates"
    ).click()
    expect(page.get_by_role("heading", name="Affiliates", exact=True)).to_be_visible()
    in_program = page.get_by_label("Take part in the mall's affiliate program")
    expect(in_program).to_be_checked()
    in_program.uncheck()
    page.get_by_role("button", name="Save affiliate terms").click()
    expect(page.get_by_role("alert")).to_contain_text("Affiliate terms saved")
    expect(page.get_by_label("Take part in the mall's affiliate program")).not_to_be_checked()

    page.get_by_role("link", name="Rates per product").click()
    expect(page.get_by_text("No product has its own rate")).to_be_visible()
    page.get_by_label("Find a product").fill("desk")
    page.get_by_role("search", name="Product search").get_by_role("button", name="Find").click()
    page.get_by_role("link", name=lamp).click()
    page.get_by_label("Affiliates earn").select_option("fixed")
    page.get_by_label("Rate for this product").fill("-3")
    page.get_by_role("button", name="Save the product's rate").click()
    expect(page.get_by_text("Enter an amount of zero or more.")).to_be_visible()
    page.get_by_label("Rate for this product").fill("3")
    page.get_by_role("button", name="Save the product's rate").click()
    expect(page.get_by_role("alert")).to_contain_text("now pays affiliates its own rate")
    rows = page.locator("#product-rates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(lamp)
    expect(rows.first).to_contain_text("$3.00 per item")

    rows.first.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.get_by_role("alert")).to_contain_text("pays the shop's rate again")
    expect(page.locator("#product-rates")).to_have_count(0)
