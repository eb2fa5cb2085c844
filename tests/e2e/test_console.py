"""An operator opens the console, sees the sign-ups chart, finds a pending shop, reviews what it
has prepared (description, logo, products) and approves it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def make_operator_and_shop(live_app) -> tuple[str, str, str]:
    """A fresh operator and a pending shop of our own (other journeys share the live database)."""
    suffix = uuid.uuid4().hex[:8]
    email, slug, name = (
        f"operator-{suffix}@example.com",
        f"journey-{suffix}",
        f"Journey Kites {suffix}",
    )
    make_person(live_app, email, name="Journey Operator", operator=True)
    make_person(live_app, f"kites-{suffix}@example.com", owns=(slug, name), shop_status="pending")
    prepare_shop(live_app, slug)
    return email, slug, name


def prepare_shop(live_app, slug: str) -> None:
    """What a new shop sets up while it waits: a description, a logo and a few products."""
    import io

    import sqlalchemy as sa
    from PIL import Image

    from mall.catalog.models import ProductStatus
    from mall.extensions import db
    from mall.shops.logos import process_logo, store_logo
    from tenants.models import Tenant
    from tests.mall.test_storefront import make_product

    with live_app.app_context():
        shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        shop.description = "Kites for beaches and parks."
        png = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 30, 30)).save(png, format="PNG")
        shop.logo_path = store_logo(shop, process_logo(png.getvalue()))
        db.session.commit()
        make_product(shop, "Delta kite", price=2450)
        make_product(shop, "Box kite", price=3900, status=ProductStatus.DRAFT)


def test_operator_approves_a_pending_shop(page, live_app):
    email, slug, name = make_operator_and_shop(live_app)

    sign_in(page, email)

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Operator console")).to_be_visible()
    chart = page.locator("canvas#signups-chart")
    expect(chart).to_be_visible()
    # Chart.js (vendored, loaded from a static file under the CSP) drew on the canvas.
    page.wait_for_function("() => window.Chart && window.Chart.getChart('signups-chart')")
    expect(page.locator("#signups-table caption")).to_contain_text("New users and new shops")
    expect(page.locator("#status-counts")).to_contain_text("Pending")

    page.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Shops"
    ).click()
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=pending"))
    # Other journeys may change the demo shops, so only check that the filter holds.
    badges = page.locator("#shop-list tbody .badge")
    expect(badges.first).to_have_text("pending")
    expect(badges.filter(has_not_text="pending")).to_have_count(0)
    page.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("#shop-status")).to_have_text("pending")
    # What the shop has prepared, before approving it.
    prepared = page.get_by_role("region", name="What the shop has prepared")
    expect(prepared.get_by_text("Kites for beaches and parks.")).to_be_visible()
    logo = prepared.get_by_role("img", name=f"Logo of {name}")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    products = prepared.get_by_role("table")
    expect(products.locator("caption")).to_have_text("2 products")
    expect(
        products.get_by_role("row", name=re.compile(r"Delta kite \$24\.50 Published"))
    ).to_be_visible()
    expect(products.get_by_role("row", name=re.compile(r"Box kite \$39\.00 Draft"))).to_be_visible()
    page.get_by_role("button", name="Approve shop").click()
    expect(page.get_by_text(f"{name} is approved and open")).to_be_visible()
    expect(page.locator("#shop-status")).to_have_text("active")

    page.get_by_role("link", name="The whole audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    newest = page.locator("table.audit-log tbody tr").first
    expect(newest).to_contain_text("shop.approved")
    expect(newest).to_contain_text(f"shop {name}")
    expect(newest).to_contain_text("status: pending → active")
    expect(newest).to_contain_text("o***@example.com")
    expect(newest).to_contain_text("127.0.0.x")
    newest.get_by_role("link", name=f"shop {name}").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert slug in page.content()
