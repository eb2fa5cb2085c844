"""A shopper on a phone fills the cart: more than there is, a picture per line, items counted."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.page_checks import PHONE

SHOP_SLUG = "tray-and-trowel"


def png(colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 80), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tray_shop(live_app):
    """An active shop: a pictured seed tray with 30 on hand, and a trowel with no picture."""
    from mall.catalog.media import add_image
    from mall.catalog.models import ProductStatus, StockReason
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.catalog.stock import adjust_stock
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import TenantStatus
    from tenants.services import create_shop, find_shops

    with live_app.app_context():
        if find_shops(query=SHOP_SLUG).total:
            return SHOP_SLUG
        shop = create_shop(SHOP_SLUG, name="Tray and Trowel", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            tray = create_product(
                ProductInput(
                    title="Cedar Seed Tray",
                    slug="cedar-seed-tray",
                    status=ProductStatus.PUBLISHED,
                    variants=[VariantInput(sku="TT-TRAY", price=200)],
                )
            )
            adjust_stock(tray.variants[0], 30, reason=StockReason.RECEIPT)
            add_image(tray, png("sienna"), alt_text="A cedar seed tray")
            trowel = create_product(
                ProductInput(
                    title="Hand Trowel With A Rather Long Name For A Small Screen",
                    slug="hand-trowel",
                    status=ProductStatus.PUBLISHED,
                    variants=[VariantInput(sku="TT-TROWEL", price=1250)],
                )
            )
            adjust_stock(trowel.variants[0], 5, reason=StockReason.RECEIPT)
        db.session.commit()
    return SHOP_SLUG


def test_a_phone_shopper_asks_for_more_than_there_is(page, tray_shop):
    page.set_viewport_size(PHONE)
    page.goto(f"/shop/{tray_shop}/products/cedar-seed-tray")
    page.get_by_label("Quantity").fill("99")
    page.get_by_role("button", name="Add to cart").click()

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    line = page.locator("tr.cart-line").filter(has_text="Cedar Seed Tray")
    shortfall = "Only 30 left, so this line holds 30 (you asked for 99)."
    expect(line.get_by_text(shortfall)).to_be_visible()
    quantity = line.get_by_label("Quantity of Cedar Seed Tray")
    expect(quantity).to_have_value("30")
    expect(line.locator("img.cart-thumb")).to_be_visible()
    expect(line.locator(".line-total")).to_contain_text("$60.00")
    expect(page.get_by_role("link", name="Cart 30 items")).to_be_visible()

    # A second product (no picture yet): the badge counts items, not lines.
    page.goto(f"/shop/{tray_shop}/products/hand-trowel")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart 32 items")).to_be_visible()
    trowel = page.locator("tr.cart-line").filter(has_text="Hand Trowel")
    expect(trowel.locator(".cart-thumb")).to_be_visible()

    # Every control of a line is on screen and usable at 390 px.
    quantity = page.locator("tr.cart-line").filter(has_text="Cedar").get_by_label(re.compile("Qua"))
    quantity.fill("5")
    update = page.get_by_role("button", name="Update Cedar Seed Tray")
    expect(update).to_be_in_viewport()
    update.click()
    expect(page.get_by_text("Your cart was updated.")).to_be_visible()
    expect(page.get_by_role("link", name="Cart 7 items")).to_be_visible()
    remove = page.get_by_role("button", name=re.compile("^Remove Hand Trowel"))
    # The update changed the cart in place (htmx): the page kept its scroll position.
    remove.scroll_into_view_if_needed()
    expect(remove).to_be_in_viewport()
    remove.click()
    expect(page.get_by_text("The item was removed from your cart.")).to_be_visible()
    expect(page.locator("tr.cart-line")).to_have_count(1)
    expect(page.locator(".cart-total")).to_contain_text("$10.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture(scope="module")
def second_shop(live_app, tray_shop):
    """Another active shop with a kettle, and a verified shopper."""
    from mall.catalog.models import ProductStatus, StockReason
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.catalog.stock import adjust_stock
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import TenantStatus
    from tenants.services import create_shop, find_shops
    from tests.e2e.journeys import make_person

    with live_app.app_context():
        if find_shops(query="kettle-corner").total:
            return "kettle-corner"
        shop = create_shop("kettle-corner", name="Kettle Corner", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            kettle = create_product(
                ProductInput(
                    title="Copper Kettle",
                    slug="copper-kettle",
                    status=ProductStatus.PUBLISHED,
                    variants=[VariantInput(sku="KC-KETTLE", price=3000)],
                )
            )
            adjust_stock(kettle.variants[0], 10, reason=StockReason.RECEIPT)
        db.session.commit()
    make_person(live_app, "cart-shopper@example.com", name="Cart Shopper")
    return "kettle-corner"


def test_a_guest_cart_from_two_shops_survives_sign_in_and_changes_in_place(
    page, tray_shop, second_shop
):
    from tests.e2e.journeys import sign_in

    page.goto(f"/shop/{tray_shop}/products/cedar-seed-tray")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.goto(f"/shop/{second_shop}/products/copper-kettle")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart 3 items")).to_be_visible()

    sign_in(page, "cart-shopper@example.com")
    page.goto("/cart/")
    expect(page.get_by_role("heading", name="From Tray and Trowel")).to_be_visible()
    expect(page.get_by_role("heading", name="From Kettle Corner")).to_be_visible()
    expect(page.locator(".cart-total")).to_contain_text("$34.00")

    # With JavaScript the change is made in place (htmx): the page is not reloaded.
    page.evaluate("window.notReloaded = true")
    kettle = page.locator("tr.cart-line").filter(has_text="Copper Kettle")
    kettle.get_by_label("Quantity of Copper Kettle").fill("2")
    page.get_by_role("button", name="Update Copper Kettle").click()
    expect(page.get_by_text("Your cart was updated.")).to_be_visible()
    expect(page.locator(".cart-total")).to_contain_text("$64.00")
    expect(page.get_by_role("link", name="Cart 4 items")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
