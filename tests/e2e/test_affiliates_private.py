"""A shop owner turns on a private program and invites an affiliate by code (the affiliate
accepts on their affiliate page) or by email (the affiliate opens the emailed link, signs
in, accepts); the owner sees them active in the program."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.support.mail import link_in, sent_to


def sign_out(page) -> None:
    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def make_affiliate(live_app, email: str, code: str) -> None:
    """An approved affiliate with ``code`` for the account ``email``."""
    from affiliates.models import Affiliate, AffiliateStatus
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db

    with live_app.app_context():
        user = find_user_by_email(email)
        db.session.add(Affiliate(code=code, status=AffiliateStatus.APPROVED, user_id=user.id))
        db.session.commit()


def test_owner_invites_by_code_and_the_affiliate_accepts(page, live_app):
    suffix = uuid.uuid4().hex[:8]
    owner, person = f"owner-{suffix}@example.com", f"partner-{suffix}@example.com"
    slug, name, code = f"kites-{suffix}", f"Kites {suffix}", f"KITE-{suffix.upper()}"
    make_person(live_app, owner, owns=(slug, name))
    make_person(live_app, person, name="Pat Partner")
    make_affiliate(live_app, person, code)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/")
    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Affiliates"
    ).click()
    page.get_by_label("Run a private program with affiliates the shop invites").check()
    page.get_by_role("button", name="Save affiliate terms").click()
    expect(page.get_by_role("alert")).to_contain_text("Affiliate terms saved")
    page.get_by_role("link", name="Private program").click()
    expect(page.get_by_role("heading", name="Private affiliate program")).to_be_visible()
    expect(page.get_by_text("You have not invited any affiliate yet.")).to_be_visible()
    page.get_by_label("Affiliate code").fill(code.lower())
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Invitation sent")
    row = page.locator("#private-members tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text(code)
    expect(row.first).to_contain_text("Invited")
    sign_out(page)

    sign_in(page, person)
    page.goto("/affiliates/home")
    invitations = page.locator("#private-programs")
    expect(invitations).to_contain_text(name)
    invitations.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.get_by_role("alert")).to_contain_text("You joined the shop's private program")
    expect(page.locator("#private-programs")).to_contain_text("Member")
    sign_out(page)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/affiliates/private")
    row = page.locator("#private-members tbody tr")
    expect(row.first).to_contain_text(code)
    expect(row.first).to_contain_text("Active")
    expect(row.first).to_contain_text("The shop's rate")


def test_owner_invites_by_email_and_the_affiliate_accepts_through_the_link(page, live_app):
    suffix = uuid.uuid4().hex[:8]
    owner, person = f"owner-{suffix}@example.com", f"invitee-{suffix}@example.com"
    slug, name, code = f"lamps-{suffix}", f"Lamps {suffix}", f"LAMP-{suffix.upper()}"
    make_person(live_app, owner, owns=(slug, name))
    make_person(live_app, person, name="Ivy Invitee")
    make_affiliate(live_app, person, code)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/affiliates/")
    page.get_by_label("Run a private program with affiliates the shop invites").check()
    page.get_by_role("button", name="Save affiliate terms").click()
    expect(page.get_by_role("alert")).to_contain_text("Affiliate terms saved")
    page.get_by_role("link", name="Private program").click()
    page.get_by_label("Email address").fill(person)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Invitation emailed")
    row = page.locator("#private-members tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("i***@example.com")
    expect(row.first).to_contain_text("Invited")
    sign_out(page)

    with live_app.app_context():
        [message] = sent_to(live_app, person)
    assert name in message["Subject"]
    page.goto(link_in(message, "/affiliates/invitations/join/"))
    expect(page.get_by_text("Sign in to answer the invitation")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(person)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    invitation = page.locator("#private-invitation")
    expect(invitation).to_contain_text(name)
    invitation.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.get_by_role("alert")).to_contain_text(f"You joined the private program of {name}")
    expect(page.locator("#private-programs")).to_contain_text("Member")
    sign_out(page)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/affiliates/private")
    row = page.locator("#private-members tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text(code)
    expect(row.first).to_contain_text("Active")
