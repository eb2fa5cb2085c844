"""A customer writes to a shop from an order's tracking page; the shop's owner answers from the
back office (and finds the customer in the customers list); the customer reads the answer
through the link emailed to them, without an account."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to, text_of


def paid_order_link(live_app, slug: str, email: str) -> tuple[str, str]:
    """A paid order of the shop ``slug`` for ``email``: (its number, its tracking page path)."""
    import sqlalchemy as sa

    from mall.extensions import db
    from mall.orders.services import mark_order_paid
    from mall.orders.tracking import tracking_token
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.orders import place_order

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            order = place_order(shop, email=email)
            assert mark_order_paid(order)
            db.session.commit()
            return order.number, f"/orders/{tracking_token(order)}"


def emailed_link(live_app, email: str, subject_part: str) -> str:
    (message,) = [m for m in sent_to(live_app, email) if subject_part in m["Subject"]]
    link = re.search(r"https?://\S+/messages/\S+", text_of(message)).group(0)
    return re.sub(r"^https?://[^/]+", "", link)


def test_a_customer_writes_from_the_tracking_page_and_reads_the_answer(page, live_app):
    suffix = uuid4().hex[:8]
    slug, shop_name = f"crm-{suffix}", f"Teapots {suffix}"
    owner, buyer = f"owner-{suffix}@example.com", f"buyer-{suffix}@example.com"
    make_person(live_app, owner, name="Olga Owner", owns=(slug, shop_name))
    number, tracking = paid_order_link(live_app, slug, buyer)

    page.goto(tracking)  # no sign-in: the tracking link is enough
    page.get_by_role("link", name=f"Write to {shop_name} about this order").click()
    expect(
        page.get_by_role("heading", name=f"Write to {shop_name} about order {number}")
    ).to_be_visible()
    page.get_by_label("Your message").fill("Could you gift-wrap the teapot, please?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_role("heading", name=f"Your conversation with {shop_name}")).to_be_visible()
    expect(page.get_by_text("Could you gift-wrap the teapot, please?")).to_be_visible()
    expect(page.get_by_text("Your message is sent.")).to_be_visible()

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Messages"
    ).click()
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    page.get_by_role("link", name=f"Order {number}").click()
    expect(page.get_by_text("Could you gift-wrap the teapot, please?")).to_be_visible()
    page.get_by_label("Your answer").fill("Yes, with a red ribbon. It ships tomorrow.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Answer sent")).to_be_visible()

    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Customers"
    ).click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_text(buyer)).to_be_visible()
    page.get_by_role("link", name="Carol Customer").click()
    page.get_by_label(re.compile(r"^Notes \(your staff see them")).fill("Likes gift wrapping.")
    page.get_by_label("Tags (separated by spaces or commas)").fill("gift vip")
    page.get_by_role("button", name="Save notes and tags").click()
    expect(page.get_by_text("Notes and tags saved.")).to_be_visible()

    page.context.clear_cookies()  # the customer, in their own browser, from their email
    page.goto(emailed_link(live_app, buyer, "answered"))
    expect(page.get_by_role("heading", name=f"Your conversation with {shop_name}")).to_be_visible()
    expect(page.get_by_text("Yes, with a red ribbon. It ships tomorrow.")).to_be_visible()
    page.get_by_label("Your answer").fill("Wonderful, thank you!")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer is sent.")).to_be_visible()


def test_a_visitor_writes_from_the_shop_page(page, live_app):
    suffix = uuid4().hex[:8]
    slug, shop_name = f"crm-shop-{suffix}", f"Kettles {suffix}"
    make_person(live_app, f"owner-{suffix}@example.com", owns=(slug, shop_name))
    visitor = f"visitor-{suffix}@example.com"

    page.goto(f"/shop/{slug}/")
    page.get_by_role("link", name=f"Write to {shop_name}").click()
    page.get_by_label("Your name (optional)").fill("Vera Visitor")
    page.get_by_label("Your email").fill(visitor)
    page.get_by_label("Subject (optional)").fill("Custom engraving")
    page.get_by_label("Your message").fill("Do you engrave kettles?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("We emailed you a link")).to_be_visible()

    page.goto(emailed_link(live_app, visitor, "received"))
    expect(page.get_by_text("Do you engrave kettles?")).to_be_visible()
