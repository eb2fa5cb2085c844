"""A shop's owner takes an order by phone: enters the customer, the address and an item by
SKU with an agreed price, sees the totals, issues the invoice; the customer opens the pay
link without an account and pays it; the owner finds the invoice paid and its order placed."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to


def stocked_sku(live_app, slug: str) -> str:
    """A product of the shop ``slug`` with stock and a flat shipping rate; its SKU."""
    import sqlalchemy as sa

    from mall.catalog.models import Variant
    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.support.shopping import stock_shop

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        stocked = stock_shop(shop, price=2400, quantity=10, title="Copper kettle")
        with tenant_context(shop):
            return db.session.get(Variant, (shop.id, stocked.variant_id)).sku


def test_a_phone_order_is_invoiced_and_paid_through_the_pay_link(page, live_app):
    suffix = uuid4().hex[:8]
    slug, shop_name = f"phone-{suffix}", f"Kettles {suffix}"
    owner, buyer = f"owner-{suffix}@example.com", f"buyer-{suffix}@example.com"
    make_person(live_app, owner, name="Rita Owner", owns=(slug, shop_name))
    sku = stocked_sku(live_app, slug)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("link", name="Sales", exact=True).click()
    expect(page.get_by_role("heading", name="Sales")).to_be_visible()
    page.get_by_role("link", name="New phone order").click()
    page.get_by_label("Customer's email").fill(buyer)
    page.get_by_label("Customer's name").fill("Ada Lovelace")
    page.locator("#ship-name").fill("Ada Lovelace")
    page.locator("#ship-line1").fill("12 Marylebone Road")
    page.locator("#ship-city").fill("London")
    page.locator("#ship-postal_code").fill("NW1 5LR")
    page.locator("#ship-country").select_option("GB")
    page.locator("#sku-0").fill(sku)
    page.locator("#quantity-0").fill("2")
    page.locator("#price-0").fill("20.00")
    page.locator("#price_reason-0").fill("Regular customer")
    page.get_by_role("button", name="Show totals").click()
    expect(page.locator("#document-total")).to_have_text("$45.00")  # 2 x 20.00 + 5.00
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_text(re.compile(r"Invoice .*-INV-1 issued and emailed"))).to_be_visible()
    pay_url = page.get_by_label("Pay link (send it to the customer)").input_value()
    (mail,) = sent_to(live_app, buyer)
    assert "-INV-1" in mail["Subject"]

    page.context.clear_cookies()  # the customer, in their own browser
    page.goto("/pay/" + pay_url.split("/pay/", 1)[1])
    expect(page.get_by_role("heading", name=re.compile(r"Invoice .*-INV-1"))).to_be_visible()
    page.get_by_label(re.compile("Test payment")).check()
    page.get_by_role("button", name="Pay $45.00").click()
    expect(page.get_by_text("the invoice is paid")).to_be_visible()
    # The link is on the mall's public address (mall.test): follow its path on this server.
    tracking = page.get_by_role("link", name="Follow your order").get_attribute("href")
    page.goto("/orders/" + tracking.split("/orders/", 1)[1])
    expect(page.get_by_text("Paid: being prepared")).to_be_visible()

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/sales/?kind=invoice&status=paid")
    page.get_by_role("link", name=re.compile(r"-INV-1")).click()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    page.get_by_role("link", name="view the order its payment made").click()
    expect(page.get_by_text("Copper kettle").first).to_be_visible()
