"""Cached pages are never stale: a shopper sees the owner's change on the next visit.

The owner changes a price in the back office; the shopper, who saw the page
before (served from the page cache the second time), reloads and sees the new
price, adds it from that cached page (its form's CSRF token is the shopper's
own), and the owner's unpublishing takes it off the shop's page at once.
"""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def make_tee(live_app, slug: str) -> None:
    from mall.catalog.models import ProductStatus, StockReason
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from mall.catalog.stock import adjust_stock
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.resolution import find_shop

    with live_app.app_context():
        with tenant_context(find_shop(slug)):
            tee = create_product(
                ProductInput(
                    title="Fresh Tee",
                    slug="fresh-tee",
                    status=ProductStatus.PUBLISHED,
                    options=[{"name": "Size", "values": ["S", "M"]}],
                    variants=[
                        VariantInput(sku=f"FT-S-{slug}", price=2500, option_values={"Size": "S"}),
                        VariantInput(sku=f"FT-M-{slug}", price=2700, option_values={"Size": "M"}),
                    ],
                )
            )
            for variant in tee.variants:
                adjust_stock(variant, 10, reason=StockReason.RECEIPT)
        db.session.commit()


def test_a_shopper_sees_the_owners_change_on_the_next_visit(browser, live_server, live_app, page):
    suffix = uuid4().hex[:8]
    slug, email = f"fresh-{suffix}", f"fresh-{suffix}@example.com"
    make_person(live_app, email, name="Fresh Owner", owns=(slug, f"Fresh Shop {suffix}"))
    make_tee(live_app, slug)

    shopper_context = browser.new_context(base_url=live_server)
    shopper = shopper_context.new_page()
    try:
        product = f"/shop/{slug}/products/fresh-tee"
        shopper.goto(product)
        shopper.goto(product)  # the second time from the page cache
        expect(shopper.locator("#product-price")).to_have_text("$25.00")

        sign_in(page, email)
        page.goto(f"/shop/{slug}/admin/catalog/")
        page.get_by_role("link", name="Fresh Tee").first.click()
        page.get_by_label("Price (Size: S)", exact=True).fill("19.50")
        page.get_by_role("button", name="Save the product").click()
        expect(page.get_by_text("“Fresh Tee” is saved.")).to_be_visible()

        shopper.reload()
        expect(shopper.locator("#product-price")).to_have_text("$19.50")
        shopper.get_by_role("button", name="Add to cart").click()
        expect(shopper).to_have_url(re.compile(r"/cart/$"))
        expect(shopper.get_by_text("Added “Fresh Tee” to your cart.")).to_be_visible()
        expect(shopper.locator("tr.cart-line .line-total")).to_have_text("$19.50")

        shopper.goto(f"/shop/{slug}/")
        expect(shopper.get_by_role("link", name="Fresh Tee")).to_be_visible()
        page.get_by_label("Status", exact=True).select_option("draft")
        page.get_by_role("button", name="Save the product").click()
        expect(page.get_by_text("“Fresh Tee” is saved.")).to_be_visible()
        shopper.reload()
        expect(shopper.get_by_role("link", name="Fresh Tee")).to_have_count(0)
    finally:
        shopper_context.close()
