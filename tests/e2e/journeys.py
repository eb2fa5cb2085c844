"""What browser journeys set up on the live server and do first: people, shops, sign-in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD


def make_person(
    live_app,
    email: str,
    *,
    name: str = "Journey Person",
    operator: bool = False,
    owns: tuple[str, str] | None = None,
    shop_status: str = "active",
) -> None:
    """A verified account on the live server; ``owns=(slug, name)`` also gives it a shop."""
    from mall.accounts.services import create_user
    from mall.extensions import db
    from mall.shops.models import Membership, Role
    from tenants.models import TenantStatus
    from tenants.services import create_shop

    with live_app.app_context():
        user = create_user(email, DEFAULT_PASSWORD, name=name, verified=True, operator=operator)
        if owns is not None:
            slug, shop_name = owns
            shop = create_shop(slug, name=shop_name, status=TenantStatus(shop_status))
            db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=Role.OWNER))
        db.session.commit()


def sign_in(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Sign in through the form, as a person would, and land on the account page."""
    page.goto("/account/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def checkout_digital_to_review(
    page, email: str, name: str, *, shop: str = "pixel-forge", product: str = "Gridline Mono Font"
) -> None:
    """Put ``shop``'s digital ``product`` in the cart and walk the checkout to its review page
    with a test payment (a digital order asks for a billing address only)."""
    page.goto(f"/shop/{shop}/")
    page.get_by_role("link", name=product).first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.goto("/checkout/contact")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name=re.compile("^Continue")).click()
    billing = page.get_by_role("group", name="Billing address")
    billing.get_by_label("Full name").fill(name)
    billing.get_by_label("Street address").fill("1 Font Street")
    billing.get_by_label("City").fill("London")
    billing.get_by_label("Postal code").fill("N1 9GU")
    billing.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name=re.compile("^Continue")).click()
    page.get_by_label(re.compile("^Test payment")).check()
    page.get_by_role("button", name="Review your order").click()
