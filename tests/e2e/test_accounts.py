"""A person creates an account, confirms it from the email, signs in and out."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

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
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_wrong_password_shows_a_message_not_an_error(page):
    page.goto("/account/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
    expect(page).to_have_url(re.compile("/account/login"))
