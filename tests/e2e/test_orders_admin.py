"""A shop owner finds a new bank-transfer order, reads it, marks another paid, cancels one."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def place_orders(live_app, slug: str, count: int) -> list[str]:
    """``count`` orders awaiting a bank transfer in the shop ``slug``; their numbers."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.orders import place_order

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            numbers = [place_order(shop).number for _ in range(count)]
            db.session.commit()
    return numbers


def test_an_owner_marks_a_transfer_paid_and_cancels_an_order(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"orders-{suffix}@example.com"
    slug = f"orders-{suffix}"
    make_person(live_app, email, name="Otto Owner", owns=(slug, f"Orders Journey {slug}"))
    first, second = place_orders(live_app, slug, 2)
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Orders"
    ).click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    page.get_by_role("link", name=first).click()

    expect(page.get_by_role("heading", name=f"Order {first}")).to_be_visible()
    expect(page.get_by_text("12 Elm Street")).to_be_visible()
    page.get_by_role("button", name="Mark paid").click()
    expect(
        page.get_by_text(f"Order {first} is marked paid; the customer is told by email.")
    ).to_be_visible()
    expect(page.get_by_text("by Otto Owner")).to_be_visible()

    page.get_by_role("link", name="← All orders").click()
    page.get_by_role("link", name=second).click()
    page.get_by_label("Reason for cancelling").fill("The customer asked us to cancel.")
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_text(f"Order {second} is cancelled")).to_be_visible()

    page.get_by_role("link", name="← All orders").click()
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # the heading row and the cancelled order
    expect(rows.nth(1)).to_contain_text(second)
