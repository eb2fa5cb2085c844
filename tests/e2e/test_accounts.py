"""A person creates an account, confirms it from the email, signs in and out; signing in and
out keeps the cart, and signing out (here or everywhere) really ends the session."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import link_in, sent_to


def test_register_confirm_sign_in_and_out(page, live_app):
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Your name").fill("Journey Person")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Repeat the password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    [message] = sent_to(live_app, email)
    page.goto(link_in(message, "/account/verify/"))
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()

    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()

    page.get_by_label("Phone").fill("+1 202 555 0199")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()

    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def add_a_demo_product_to_the_cart(page) -> str:
    """As a guest: a demo shop, its first product in stock, "Add to cart"; returns its title."""
    page.goto("/shop/green-thumb/")
    card = page.locator("article.product-card").filter(has_not_text="Out of stock").first
    title = card.get_by_role("link").inner_text()
    card.get_by_role("link").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text(f"Added “{title}” to your cart.")).to_be_visible()
    return title


def remember_cookie(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "remember_token"]


def test_keep_me_signed_in_keeps_the_cart_and_sign_out_leaves_it_with_the_account(page, live_app):
    email = f"cart-{uuid.uuid4().hex[:8]}@example.com"
    make_person(live_app, email)
    title = add_a_demo_product_to_the_cart(page)

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("You are signed in on 1 device, this one included.")).to_be_visible()
    assert remember_cookie(page)

    page.get_by_role("link", name=re.compile(r"^Cart 1")).click()
    expect(page.locator("tr.cart-line")).to_have_count(1)
    expect(page.locator("tr.cart-line")).to_contain_text(title)

    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Account")).to_have_count(0)
    assert not remember_cookie(page)
    page.goto("/account/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # The cart stays with the account: the next person at this computer starts empty,
    # and signing in again brings it back.
    page.get_by_role("link", name="Cart", exact=True).click()
    expect(page.locator("tr.cart-line")).to_have_count(0)
    sign_in(page, email)
    page.get_by_role("link", name=re.compile(r"^Cart 1")).click()
    expect(page.locator("tr.cart-line")).to_contain_text(title)


def test_sign_out_everywhere_signs_out_the_other_device(page, browser, live_server, live_app):
    email = f"devices-{uuid.uuid4().hex[:8]}@example.com"
    make_person(live_app, email)
    phone = browser.new_context(base_url=live_server)
    try:
        phone_page = phone.new_page()
        sign_in(phone_page, email)
        sign_in(page, email)
        expect(page.get_by_text("You are signed in on 2 devices")).to_be_visible()

        page.get_by_role("button", name="Sign out everywhere").click()
        expect(page.get_by_text("You are signed out on every device.")).to_be_visible()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()

        phone_page.reload()
        expect(phone_page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        phone.close()


def test_wrong_password_shows_a_message_not_an_error(page):
    page.goto("/account/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
    expect(page).to_have_url(re.compile("/account/login"))
