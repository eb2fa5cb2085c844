"""A shop's owner orders from a vendor: a new purchase order, a line from what the vendor
supplies (packs of 6), sent by email with its PDF, half of it received into stock, and the
rest closed short."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to


def vendor_with_product(live_app, slug: str, email: str) -> str:
    """A vendor of the shop ``slug`` supplying a product in packs of 6; the product's title."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.purchasing import make_variant, make_vendor, supply

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            vendor = make_vendor(shop, name="Glaze Works", email=email)
            variant = make_variant(shop, title="Stoneware bowl")
            supply(vendor, variant, pack_size=6, unit_cost=3600)
            db.session.commit()
    return "Stoneware bowl"


def test_an_owner_orders_receives_and_closes_short(page, live_app):
    suffix = uuid4().hex[:8]
    slug, owner = f"bowls-{suffix}", f"owner-{suffix}@example.com"
    vendor_email = f"sales-{suffix}@glaze.example"
    make_person(live_app, owner, name="Bea Owner", owns=(slug, f"Bowls {suffix}"))
    title = vendor_with_product(live_app, slug, vendor_email)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/purchasing/orders")
    expect(page.get_by_role("heading", name="Purchase orders", exact=True)).to_be_visible()
    page.get_by_role("link", name="New purchase order").click()
    page.get_by_label("Vendor", exact=True).select_option(label="Glaze Works")
    page.get_by_label(re.compile(r"^Note to the vendor")).fill("Deliver to the back door.")
    page.get_by_role("button", name="Create the draft").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Purchase order .*-PO-\d+$"))
    expect(heading).to_be_visible()
    number = heading.inner_text().removeprefix("Purchase order ")

    choice = page.locator("#variant option", has_text=title).get_attribute("value")
    page.get_by_label("Product", exact=True).select_option(choice)
    page.get_by_label("Packs", exact=True).fill("4")
    page.get_by_role("button", name="Add the line").click()
    expect(page.get_by_text("Line added.")).to_be_visible()
    expect(page.get_by_label(f"Packs of {title}")).to_have_value("4")

    page.get_by_role("button", name="Send to the vendor").click()
    expect(page.get_by_text(f"{number} sent: the vendor is emailed")).to_be_visible()
    [message] = sent_to(live_app, vendor_email)
    assert [a.get_filename() for a in message.iter_attachments()] == [f"{number}.pdf"]

    page.get_by_label(f"Packs of {title} arrived now").fill("2")
    page.get_by_label(re.compile(r"^Note \(optional")).fill("Delivery note 12")
    page.get_by_role("button", name="Receive into stock").click()
    expect(
        page.get_by_text(f"Received 12 units into stock. {number} is partially received.")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"2 packs \(12 units\) of Stoneware bowl"))).to_be_visible()

    page.get_by_role("link", name="Printable page").click()
    expect(page.get_by_role("heading", name=f"Purchase order {number}")).to_be_visible()
    expect(page.get_by_text("Deliver to the back door.")).to_be_visible()
    page.get_by_role("link", name="← Back").click()

    page.get_by_role("button", name=re.compile(r"^Close short")).click()
    expect(page.get_by_text(f"2 packs (12 units) of {title} will not come.")).to_be_visible()
    page.get_by_role("button", name="Yes, close it short").click()
    expect(page.get_by_text(f"{number} closed short")).to_be_visible()
    expect(page.get_by_text("Closed", exact=True).first).to_be_visible()
    page.get_by_role("link", name="← Purchase orders").click()
    page.get_by_role("link", name="Closed", exact=True).click()
    expect(page.get_by_role("link", name=number)).to_be_visible()
