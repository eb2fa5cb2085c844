"""Drop-ship: a customer's paid order of a drop-shipped lamp sends its vendor a PO by email; the
vendor opens the signed link (no account), sees the customer's address, confirms and records a
parcel of part of the order with its tracking number; the customer's tracking page shows it,
and the rest stays to come."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.support.mail import link_in, sent_to


def paid_drop_ship_order(live_app, slug: str, vendor_email: str) -> tuple[str, str, str]:
    """A shop ``slug`` whose lamp its vendor drop-ships, and a paid order of 3 lamps:
    (the order's number, its tracking path, the lamp's title)."""
    import sqlalchemy as sa

    from mall.extensions import db
    from mall.orders.services import mark_order_paid
    from mall.orders.tracking import tracking_token
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.vendor_link import make_variant, make_vendor, place_lines_order, supply

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            vendor = make_vendor("Lumen Wholesale", email=vendor_email)
            lamp = make_variant(title="Brass lamp")
            supply(vendor, lamp, vendor_sku="LUM-BRASS")
            order = place_lines_order(shop, [(lamp, 3)], email=f"buyer-{slug}@example.com")
            assert mark_order_paid(order)
            db.session.commit()
            return order.number, f"/orders/{tracking_token(order)}", lamp.product.title


def test_the_vendors_tracking_number_reaches_the_customer(page, live_app):
    from tests.e2e.journeys import make_person

    suffix = uuid4().hex[:8]
    slug, shop_name = f"drop-{suffix}", f"Lamps {suffix}"
    vendor_email = f"orders-{suffix}@lumen.example"
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, shop_name))
    number, tracking, lamp = paid_drop_ship_order(live_app, slug, vendor_email)

    # The vendor's email holds the signed link to its PO.
    (mail,) = sent_to(live_app, vendor_email)
    page.goto(link_in(mail, "/vendor/po/"))
    heading = re.compile(r"^Purchase order .*-PO-1$")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(f"From {shop_name}")).to_be_visible()
    expect(page.get_by_role("cell", name="LUM-BRASS")).to_be_visible()
    expect(page.get_by_text("Carol Customer")).to_be_visible()

    page.get_by_label(re.compile(r"shipped now \(up to 3\)")).fill("2")
    page.get_by_label("Carrier", exact=True).select_option("ups")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Confirm and record the parcel").click()
    expect(page.get_by_text("Shipment recorded: 2 items with UPS.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Confirmed "))).to_be_visible()
    expect(page.get_by_label(re.compile(r"shipped now \(up to 1\)"))).to_be_visible()

    page.context.clear_cookies()  # the customer, in their own browser
    page.goto(tracking)
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_text("Partly shipped")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile(r"Follow the parcel \(1Z999AA10123456784\)"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Still to come")).to_be_visible()
    expect(page.get_by_text(f"1 \N{MULTIPLICATION SIGN} {lamp}")).to_be_visible()
    subjects = [message["Subject"] for message in sent_to(live_app, f"buyer-{slug}@example.com")]
    assert any(subject.startswith(f"Part of your order {number}") for subject in subjects)
