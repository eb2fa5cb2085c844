"""A shop's owner sets a return policy; a customer asks to return a shipped item from the
order's tracking page, without an account; the owner approves, receives the goods and refunds
them (restocking), and the customer is emailed at each step. A signed-in customer asks from
their order list for the shipped part of a partly shipped order."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import sent_to


def shipped_order_link(
    live_app, slug: str, email: str, *, quantity: int = 2, shipped: int = 2, account: bool = False
) -> tuple[str, str]:
    """A paid order of the shop ``slug`` with ``shipped`` of its ``quantity`` units sent, placed
    by the account of ``email`` when ``account``: (its number, its tracking page path)."""
    import sqlalchemy as sa

    from mall.accounts.services import find_user_by_email
    from mall.checkout.models import Checkout, CheckoutStatus
    from mall.db import utcnow
    from mall.extensions import db
    from mall.orders.fulfilment import create_shipment
    from mall.orders.services import mark_order_paid
    from mall.orders.tracking import tracking_token
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tests.crawl.orders import place_order

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        with tenant_context(shop):
            order = place_order(shop, email=email, quantity=quantity)
            if account:
                user = find_user_by_email(email)
                checkout = db.session.get(Checkout, order.checkout_id)
                checkout.user_id = order.user_id = user.id
                checkout.status, checkout.submitted_at = CheckoutStatus.PAID, utcnow()
                checkout.total = order.total
            assert mark_order_paid(order)
            line = order.lines[0]
            create_shipment(
                order,
                quantities={line.id: shipped},
                carrier="ups",
                request_key=uuid4().hex,
                actor_id=None,
            )
            db.session.commit()
            return order.number, f"/orders/{tracking_token(order)}"


def test_a_customer_returns_an_item_and_the_shop_refunds_it(page, live_app):
    suffix = uuid4().hex[:8]
    slug, shop_name = f"ret-{suffix}", f"Mugs {suffix}"
    owner, buyer = f"owner-{suffix}@example.com", f"buyer-{suffix}@example.com"
    make_person(live_app, owner, name="Rita Owner", owns=(slug, shop_name))
    number, tracking = shipped_order_link(live_app, slug, buyer)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/returns/policy")
    page.get_by_label(re.compile(r"^Return window \(days from shipping")).fill("14")
    page.get_by_label("Return shipping").select_option("shop")
    page.get_by_label("What customers should know (optional)").fill("Unused, in the box.")
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_text("Return policy saved")).to_be_visible()

    page.context.clear_cookies()  # the customer, in their own browser
    page.goto(tracking)
    page.get_by_role("link", name="Return items of this order").click()
    expect(page.get_by_role("heading", name=f"Return items of order {number}")).to_be_visible()
    expect(page.get_by_text(f"{shop_name} pays the return shipping.")).to_be_visible()
    page.get_by_label("up to 2").fill("1")
    page.get_by_label("Why are you returning these items?").fill("The handle is chipped.")
    page.get_by_role("button", name="Ask for the return").click()
    expect(page.get_by_text("Your return request is sent.")).to_be_visible()

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/returns/")
    expect(page.get_by_role("heading", name="Returns")).to_be_visible()
    page.get_by_role("row", name=number).get_by_role("link").click()
    expect(page.get_by_text("The handle is chipped.")).to_be_visible()
    page.get_by_role("button", name="Approve the return").click()
    expect(page.get_by_text("Return approved")).to_be_visible()
    page.get_by_label("Put the items back in stock").check()
    page.get_by_role("button", name="Received — refund").click()
    expect(page.get_by_text("Return received:")).to_be_visible()

    subjects = [message["Subject"] for message in sent_to(live_app, buyer)]
    assert any("accepted your return" in subject for subject in subjects)
    assert any("refunded it" in subject for subject in subjects)


def test_a_signed_in_customer_returns_the_shipped_part_from_their_orders(page, live_app):
    suffix = uuid4().hex[:8]
    slug, shop_name = f"acc-ret-{suffix}", f"Jugs {suffix}"
    owner, buyer = f"owner-{suffix}@example.com", f"buyer-{suffix}@example.com"
    make_person(live_app, owner, name="Rita Owner", owns=(slug, shop_name))
    make_person(live_app, buyer, name="Bea Buyer")
    number, _ = shipped_order_link(live_app, slug, buyer, quantity=3, shipped=2, account=True)

    sign_in(page, buyer)
    page.goto("/account/orders")
    page.get_by_role("link", name=f"Return items of order {number}").click()
    expect(page.get_by_role("heading", name=f"Return items of order {number}")).to_be_visible()
    page.get_by_label("up to 2").fill("2")
    page.get_by_label("Why are you returning these items?").fill("Wrong colour.")
    page.get_by_role("button", name="Ask for the return").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    expect(page.get_by_text("Your return request is sent.")).to_be_visible()

    page.get_by_role("link", name=f"Return items of order {number}").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(page.get_by_text("Requested: to decide")).to_be_visible()
    expect(page.get_by_text("the shipped items are in your pending request")).to_be_visible()
    page.get_by_role("link", name="Back to your orders").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
