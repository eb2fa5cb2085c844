"""A shop's owner records a vendor's bill from a received purchase order (one price differs:
the bill is saved for review, never blocked), marks it reviewed, sees it aged on the
payables page, pays part of it, and reads the vendor's statement."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def received_po(live_app, slug: str) -> str:
    """A vendor of the shop ``slug`` and a PO of 10 packs at 5.00, all received: its id."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.vendor_bills import make_po, make_vendor

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            vendor = make_vendor(shop, name="Acme Supplies", terms=30)
            po = make_po(shop, vendor, lines=[(10, 10, 500)], number=f"{slug.upper()}-PO-1")
            db.session.commit()
            return str(po.id)


def test_an_owner_bills_a_po_reviews_it_and_pays_part(page, live_app):
    suffix = uuid4().hex[:8]
    slug, owner = f"bills-{suffix}", f"owner-{suffix}@example.com"
    make_person(live_app, owner, name="Bea Owner", owns=(slug, f"Bolts {suffix}"))
    po_id = received_po(live_app, slug)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/purchasing/bills/new?po={po_id}")
    expect(page.get_by_role("heading", name=re.compile("^Record a bill for"))).to_be_visible()
    expect(page.get_by_label("Packs of Widget 1")).to_have_value("10")
    page.get_by_label("The vendor's bill number").fill("AC-5521")
    page.get_by_label("Cost per pack of Widget 1").fill("5.25")
    page.get_by_label("Description of line 1").fill("Freight")
    page.get_by_label("Quantity of line 1").fill("1")
    page.get_by_label("Unit cost of line 1").fill("8.00")
    page.get_by_role("button", name="Save and open").click()

    expect(page.get_by_text("recorded and opened")).to_be_visible()
    expect(page.get_by_text("Needs review").first).to_be_visible()
    expect(page.get_by_text("Cost per pack on the order $5.00, on the bill $5.25")).to_be_visible()
    expect(page.get_by_text("$60.50").first).to_be_visible()
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("marked reviewed")).to_be_visible()

    page.goto(f"/shop/{slug}/admin/purchasing/bills")
    page.get_by_role("link", name="Payables", exact=True).first.click()
    expect(page.get_by_role("heading", name="Payables")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Acme Supplies"))
    expect(row).to_contain_text("$60.50")
    row.get_by_role("link", name="pay").click()

    expect(page.get_by_role("heading", name="Pay bills of Acme Supplies")).to_be_visible()
    page.get_by_label(re.compile("^Pay on ")).fill("20.50")
    page.get_by_label("Method").select_option("bank_transfer")
    page.get_by_label(re.compile("^Reference")).fill("TR-77")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.get_by_role("cell", name="$40.00")).to_be_visible()  # still owed

    page.get_by_role("link", name=re.compile("Statement of Acme Supplies")).click()
    expect(page.get_by_role("heading", name="Statement of Acme Supplies")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Closing balance"))).to_contain_text("$40.00")
