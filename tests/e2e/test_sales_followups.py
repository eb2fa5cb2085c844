"""The sales office's follow-ups in a browser: a sales rep's invoice list holds the invoice
they entered and not a colleague's; an owner goes from a product's editor to its vendors."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def shop_of(live_app, slug: str):
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.models import Tenant

    return db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()


def add_rep(live_app, slug: str, email: str) -> None:
    """An account that is a sales rep of the shop ``slug``."""
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db
    from mall.shops.models import Membership, Role

    make_person(live_app, email, name="Sam Rep")
    with live_app.app_context():
        user = find_user_by_email(email)
        db.session.add(
            Membership(user_id=user.id, tenant_id=shop_of(live_app, slug).id, role=Role.SALES_REP)
        )
        db.session.commit()


def rep_invoice(live_app, slug: str, rep_email: str, customer: str) -> str:
    """An issued invoice of the shop entered by ``rep_email``: its number."""
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db
    from mall.orders.entry.models import SalesDocument
    from tenants.context import tenant_context
    from tests.crawl.invoice_schedules import issued_invoice

    with live_app.app_context():
        rep = find_user_by_email(rep_email)
        shop = shop_of(live_app, slug)
        document_id = issued_invoice(shop, email=f"{customer.lower()}@example.com", by=rep.id)
        with tenant_context(shop):
            return db.session.get(SalesDocument, (shop.id, document_id)).number


def a_product(live_app, slug: str, title: str) -> None:
    from mall.catalog import services as catalog
    from mall.extensions import db
    from tenants.context import tenant_context

    with live_app.app_context(), tenant_context(shop_of(live_app, slug)):
        catalog.create_product(
            catalog.ProductInput(
                title=title, variants=[catalog.VariantInput(sku=uuid4().hex[:10], price=900)]
            )
        )
        db.session.commit()


def test_a_sales_rep_sees_their_invoice_not_a_colleagues(page, live_app):
    suffix = uuid4().hex[:8]
    slug = f"reps-{suffix}"
    owner, sam, tess = (f"{who}-{suffix}@example.com" for who in ("owner", "sam", "tess"))
    make_person(live_app, owner, name="Olga Owner", owns=(slug, f"Reps {suffix}"))
    add_rep(live_app, slug, sam)
    add_rep(live_app, slug, tess)
    mine = rep_invoice(live_app, slug, sam, "Mina")
    theirs = rep_invoice(live_app, slug, tess, "Theo")

    sign_in(page, sam)
    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("link", name="Invoices", exact=True).click()
    expect(page.get_by_role("heading", name="Invoices and credit notes")).to_be_visible()
    expect(page.get_by_text("As a sales rep you see")).to_be_visible()
    expect(page.get_by_role("link", name=mine, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=theirs, exact=True)).to_have_count(0)
    page.get_by_role("link", name=mine, exact=True).click()
    expect(page.get_by_text(mine).first).to_be_visible()


def test_an_owner_goes_from_a_product_to_its_vendors(page, live_app):
    suffix = uuid4().hex[:8]
    slug, owner = f"links-{suffix}", f"owner-{suffix}@example.com"
    make_person(live_app, owner, name="Olga Owner", owns=(slug, f"Links {suffix}"))
    a_product(live_app, slug, "Walnut tray")

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/catalog/")
    page.get_by_role("link", name="Walnut tray").first.click()
    nav = page.get_by_role("navigation", name="Product sections")
    nav.get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", name="Vendors of Walnut tray")).to_be_visible()
