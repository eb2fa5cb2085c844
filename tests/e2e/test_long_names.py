"""A customer whose name is one unbroken 120-character word: the shop's order page, the
invoice, the tracking page and the account's address book stay inside a 390 px phone screen."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.e2e.page_checks import PHONE

# One unbroken word as long as a name field takes (the tester's was 157 characters).
LONG_NAME = "Bartholomew" + "x" * 109


def paid_order_with_long_name(live_app, slug: str) -> tuple[str, str]:
    """A paid order of the shop ``slug`` billed to ``LONG_NAME``: (its number, tracking path)."""
    import sqlalchemy as sa

    from mall.accounts.addresses import PostalAddress
    from mall.extensions import db
    from mall.orders.services import mark_order_paid
    from mall.orders.tracking import tracking_link
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.orders import place_order

    address = PostalAddress(
        name=LONG_NAME, line1="12 Elm Street", city="Springfield", postal_code="62701", country="US"
    )
    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            order = place_order(shop, address=address)
            assert mark_order_paid(order, note="Paid.")
            db.session.commit()
            link = re.sub(r"^https?://[^/]+", "", tracking_link(order))
            return order.number, link


def saved_address_with_long_name(live_app, email: str) -> None:
    from mall.accounts.address_book import add_address
    from mall.accounts.addresses import PostalAddress
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db

    with live_app.app_context():
        user = find_user_by_email(email)
        assert user is not None
        address = PostalAddress(
            name=LONG_NAME,
            line1="1 Rue de la Paix",
            city="Paris",
            postal_code="75002",
            country="FR",
        )
        add_address(user, address, make_default=True)
        db.session.commit()


def fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_a_long_unbroken_name_does_not_widen_the_pages(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"long-{suffix}@example.com"
    slug = f"long-{suffix}"
    make_person(live_app, email, name="Otto Owner", owns=(slug, f"Long Names {slug}"))
    number, tracking = paid_order_with_long_name(live_app, slug)
    sign_in(page, email)

    page.goto(f"/shop/{slug}/admin/orders/")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_text(LONG_NAME)).to_be_visible()
    fits_a_phone(page)

    page.locator("#invoices li a").first.click()
    expect(page.get_by_text(LONG_NAME)).to_be_visible()
    fits_a_phone(page)

    page.goto(tracking)
    fits_a_phone(page)

    saved_address_with_long_name(live_app, email)
    page.goto("/account/addresses")
    expect(page.get_by_text(LONG_NAME).first).to_be_visible()
    fits_a_phone(page)
