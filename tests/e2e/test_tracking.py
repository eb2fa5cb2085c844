"""A customer follows an order from the shipment email's link and downloads its invoice; the shop
downloads an invoice PDF from its back office."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to, text_of


def paid_and_shipped(live_app, slug: str, email: str) -> str:
    """A paid order of the shop ``slug`` for ``email``, partly shipped with UPS; its number."""
    import sqlalchemy as sa

    from mall.extensions import db
    from mall.orders.fulfilment import create_shipment
    from mall.orders.services import mark_order_paid
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.orders import place_order

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            order = place_order(shop, quantity=3, email=email)
            assert mark_order_paid(order)  # the invoice is issued here
            db.session.commit()
            create_shipment(
                order,
                quantities={order.lines[0].id: 2},
                carrier="ups",
                tracking_number="1Z999AA10123456784",
                request_key=uuid4().hex,
                actor_id=None,
            )
            number = order.number
            db.session.commit()  # the shipment email goes out (jobs run inline)
    return number


def pdf_of(download) -> bytes:
    return Path(download.path()).read_bytes()


def test_a_customer_follows_the_email_link_and_downloads_the_invoice(page, live_app):
    suffix = uuid4().hex[:8]
    slug = f"track-{suffix}"
    email = f"buyer-{suffix}@example.com"
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, f"Tracking {suffix}"))
    number = paid_and_shipped(live_app, slug, email)

    (message,) = [m for m in sent_to(live_app, email) if "shipped" in m["Subject"]]
    link = re.search(r"https?://\S+/orders/\S+", text_of(message)).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))  # no sign-in

    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_text("Partly shipped")).to_be_visible()
    parcel = page.get_by_role("link", name=re.compile("Follow the parcel"))
    expect(parcel).to_have_attribute("href", re.compile(r"^https://www\.ups\.com/track"))
    expect(page.get_by_text("A parcel was sent.")).to_be_visible()

    invoice_number = f"{slug.replace('-', '').upper()[:12]}-INV-1"
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download PDF of {invoice_number}").click()
    pdf = pdf_of(download.value)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000

    page.get_by_role("link", name=invoice_number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice_number}")).to_be_visible()
    expect(page.get_by_text("Carol Customer")).to_be_visible()
    page.get_by_role("link", name="← Back").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()


def test_the_shop_downloads_an_invoice_pdf(page, live_app):
    suffix = uuid4().hex[:8]
    slug = f"inv-{suffix}"
    owner = f"owner-{suffix}@example.com"
    make_person(live_app, owner, name="Ines Owner", owns=(slug, f"Invoices {suffix}"))
    number = paid_and_shipped(live_app, slug, f"buyer-{suffix}@example.com")
    sign_in(page, owner)

    page.goto(f"/shop/{slug}/admin/orders/")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name="Invoice and credit notes")).to_be_visible()
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Invoices"
    ).click()
    expect(page.get_by_role("heading", name="Invoices and credit notes")).to_be_visible()
    invoice_number = f"{slug.replace('-', '').upper()[:12]}-INV-1"
    with page.expect_download() as download:
        page.get_by_role("link", name=f"PDF of {invoice_number}").click()
    assert download.value.suggested_filename == f"{invoice_number}.pdf"
    assert pdf_of(download.value).startswith(b"%PDF-")

    page.get_by_role("link", name="Invoice details").click()
    page.get_by_label("Legal name (optional)").fill(f"Invoices {suffix} Ltd")
    page.get_by_label("VAT or tax number (optional)").fill("GB123456789")
    page.get_by_role("button", name="Save the invoice details").click()
    expect(page.get_by_text("Invoice details saved")).to_be_visible()
