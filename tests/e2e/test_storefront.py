"""A shopper finds a product from the header search, picks a variant, adds it, sees the cart.

Choosing a variant shows its price, compare-at price, stock and SKU: in place with
JavaScript, and by its URL (``?variant=<id>``, linked from the cart) without.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.page_checks import DESKTOP, PHONE

SHOP_SLUG = "lumen-lamps"

# How many pixels the widest option of a select lacks to show whole (0: every choice fits).
# Chrome clips a select's text without widening its scrollWidth, so it is measured.
SELECT_SHORTFALL = """(select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const widths = [...select.options].map(o => context.measureText(o.text.trim()).width);
  const widest = Math.max(...widths);
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(0, Math.ceil(widest - room));
}"""


def png(colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def lamp_shop(live_app):
    """An active shop with a category and a published lamp in two finishes (made once)."""
    from mall.catalog.media import add_image
    from mall.catalog.models import Category, ProductStatus, StockReason
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.catalog.stock import adjust_stock
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import TenantStatus
    from tenants.services import create_shop, find_shops

    with live_app.app_context():
        if find_shops(query=SHOP_SLUG).total:
            return SHOP_SLUG
        shop = create_shop(
            SHOP_SLUG,
            name="Lumen Lamps",
            description="Lights to read by.",
            status=TenantStatus.ACTIVE,
        )
        lighting = Category(name="Lumen lighting", slug="e2e-lighting")
        db.session.add(lighting)
        db.session.flush()
        reading = Category(name="Reading lights", slug="e2e-reading-lights", parent_id=lighting.id)
        db.session.add(reading)
        db.session.flush()
        with tenant_context(shop):
            lamp = create_product(
                ProductInput(
                    title="Brass Reading Lamp",
                    description_md="A **warm** light for long evenings.",
                    status=ProductStatus.PUBLISHED,
                    category_id=reading.id,
                    options=[{"name": "Finish", "values": ["Brass", "Black"]}],
                    variants=[
                        VariantInput(
                            sku="LUM-BR",
                            price=4500,
                            compare_at_price=5500,
                            option_values={"Finish": "Brass"},
                        ),
                        VariantInput(
                            sku="LUM-BK",
                            price=4900,
                            low_stock_threshold=5,
                            option_values={"Finish": "Black"},
                        ),
                    ],
                )
            )
            for variant, received in zip(lamp.variants, (10, 3), strict=True):
                adjust_stock(variant, received, reason=StockReason.RECEIPT)
            add_image(lamp, png("gold"), alt_text="The brass lamp, lit")
            add_image(lamp, png("black"), alt_text="The black lamp")
        db.session.commit()
    return SHOP_SLUG


def test_shopper_searches_picks_a_variant_and_fills_the_cart(page, lamp_shop):
    page.goto("/")
    page.get_by_label("Search the mall").fill("brass reading")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Search results for “brass reading”")).to_be_visible()

    page.get_by_role("link", name="Brass Reading Lamp").click()
    expect(page).to_have_url(re.compile(r"/shop/lumen-lamps/products/brass-reading-lamp$"))
    expect(page.get_by_role("heading", name="Brass Reading Lamp", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="The brass lamp, lit")).to_be_visible()
    expect(page.locator(".product-description strong")).to_have_text("warm")
    expect(page.locator('script[type="application/ld+json"]')).to_have_count(1)
    details = page.locator("#variant-details")
    expect(details.locator(".product-price")).to_have_text("$45.00")
    expect(details.locator("s")).to_have_text("Was $55.00")
    expect(details.get_by_text("In stock")).to_be_visible()
    expect(page.get_by_text("SKU LUM-BR")).to_be_visible()

    # Choosing the black one shows its price, stock and SKU at once, and its address.
    page.get_by_label("Finish").select_option(label="Black — $49.00 (only 3 left)")
    expect(details.locator(".product-price")).to_have_text("$49.00")
    expect(details.locator("s")).to_be_hidden()
    expect(details.get_by_text("Only 3 left")).to_be_visible()
    expect(page.get_by_text("SKU LUM-BK")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/products/brass-reading-lamp\?variant=[0-9a-f-]{36}$"))
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Added “Brass Reading Lamp” to your cart.")).to_be_visible()
    line = page.locator("tr.cart-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Brass Reading Lamp")
    expect(line).to_contain_text("Finish: Black")
    expect(line.locator(".line-total")).to_have_text("$98.00")
    expect(page.locator(".cart-total")).to_contain_text("$98.00")
    expect(page.get_by_role("link", name="Cart 2 items")).to_be_visible()

    # Change the quantity, then remove the line: both work without JavaScript.
    page.get_by_label(re.compile("Quantity of Brass Reading Lamp")).fill("3")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("tr.cart-line .line-total")).to_have_text("$147.00")
    page.get_by_role("button", name=re.compile("Remove")).click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def test_without_javascript_a_variants_address_shows_it(browser, live_server, lamp_shop):
    """No script: the picker still adds the chosen finish, and the cart links to its page."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"/shop/{lamp_shop}/products/brass-reading-lamp")
        page.get_by_label("Finish").select_option(label="Black — $49.00 (only 3 left)")
        page.get_by_role("button", name="Add to cart").click()
        line = page.locator("tr.cart-line")
        expect(line).to_contain_text("Finish: Black")
        line.get_by_role("link", name="Brass Reading Lamp").click()

        expect(page).to_have_url(re.compile(r"\?variant=[0-9a-f-]{36}$"))
        details = page.locator("#variant-details")
        expect(details.locator(".product-price")).to_have_text("$49.00")
        expect(details.get_by_text("Only 3 left")).to_be_visible()
        expect(page.get_by_text("SKU LUM-BK")).to_be_visible()
        expect(page.get_by_label("Finish")).to_have_value(re.compile("[0-9a-f-]{36}"))
        expect(page.locator("#variant-select option:checked")).to_contain_text("Black")
        canonical = page.locator('link[rel="canonical"]')
        expect(canonical).to_have_attribute("href", re.compile(r"/brass-reading-lamp$"))
    finally:
        context.close()


def test_shopper_browses_a_category(page, lamp_shop):
    page.goto("/")
    page.get_by_role("link", name="Lumen lighting", exact=True).click()
    expect(page.get_by_role("heading", name="Lumen lighting", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Brass Reading Lamp")).to_be_visible()

    page.get_by_role("link", name="Reading lights").click()
    expect(page.get_by_role("heading", name="Reading lights", level=1)).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link", name="Lumen lighting")).to_be_visible()
    page.get_by_label("Sort by").select_option("price_desc")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    # On a phone the sort and filter fields have room for what they hold.
    page.set_viewport_size(PHONE)
    assert page.get_by_label("Sort by").evaluate(SELECT_SHORTFALL) == 0
    assert page.get_by_label("Price from").bounding_box()["width"] >= 80
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Brass Reading Lamp").click()
    page.get_by_role("link", name="Lumen Lamps").first.click()
    expect(page.get_by_role("heading", name="Lumen Lamps", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Brass Reading Lamp")).to_be_visible()
