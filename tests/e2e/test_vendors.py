"""A shop's owner adds a vendor from the Purchasing tab, records the product it supplies
(by the shop's SKU) as preferred, sees the product low on stock in the reorder suggestions
and makes a draft purchase order with one click; on the way, the product's vendors and the
purchasing settings."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def low_product(live_app, slug: str, sku: str) -> None:
    """A product of the shop ``slug`` with 2 in stock and a low-stock threshold of 5."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.vendors_directory import new_variant

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            new_variant(sku=sku, stock=2, threshold=5, title="Terracotta pot")
            db.session.commit()


def test_an_owner_adds_a_vendor_and_drafts_a_reorder(page, live_app, live_server, request):
    suffix = uuid4().hex[:8]
    slug, owner, sku = f"pots-{suffix}", f"owner-{suffix}@example.com", f"POT-{suffix}"
    # The form with a bad email answers 422 (shown again with the message).
    refused = f"{live_server}/shop/{slug}/admin/purchasing/vendors/new"
    request.node.add_marker(pytest.mark.expect_http_error(refused))
    make_person(live_app, owner, name="Paula Owner", owns=(slug, f"Pots {suffix}"))
    low_product(live_app, slug, sku)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("link", name="Purchasing", exact=True).click()
    expect(page.get_by_role("heading", name="Vendors")).to_be_visible()
    page.get_by_role("link", name="Add a vendor").click()
    page.get_by_label("Company name").fill("Clay & Co")
    page.get_by_label("Contact person (optional)").fill("Carla Clay")
    page.get_by_label("Email (optional)").fill("not an email")
    page.get_by_role("button", name="Add the vendor").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Contact person (optional)")).to_have_value("Carla Clay")
    page.get_by_label("Email (optional)").fill("orders@clay.example")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Add the vendor").click()
    expect(page.get_by_role("heading", name="Clay & Co")).to_be_visible()
    expect(page.get_by_text("orders@clay.example")).to_be_visible()

    page.get_by_label("Your SKU").fill(sku)
    page.get_by_label("Cost per pack").fill("24.00")
    page.get_by_label("Units per pack").fill("4")
    page.get_by_label(re.compile("^Preferred vendor")).check()
    page.get_by_role("button", name="Add the product").click()
    expect(page.get_by_text(f"Added: Clay & Co supplies {sku}.")).to_be_visible()
    expect(page.get_by_role("cell", name="$24.00")).to_be_visible()
    page.get_by_role("link", name="Terracotta pot").click()
    expect(page.get_by_role("heading", name="Vendors of Terracotta pot")).to_be_visible()
    expect(page.get_by_role("cell", name="Yes")).to_be_visible()  # the preferred vendor

    page.get_by_role("link", name="Settings").last.click()
    page.get_by_label(re.compile("^Over-receipt tolerance")).fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Purchasing settings saved.")).to_be_visible()

    page.get_by_role("link", name="Reorder").click()
    expect(page.get_by_role("heading", name="Reorder suggestions")).to_be_visible()
    expect(page.get_by_text("1 pack (4 units)")).to_be_visible()  # 2 in stock, back above 5
    page.get_by_role("button", name=re.compile(r"^Create draft POs")).click()
    expect(page.get_by_text("Draft purchase order made")).to_be_visible()
