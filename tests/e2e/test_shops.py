"""A member opens a shop and invites a colleague; an owner removes one; an invitee joins."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.journeys import make_person, sign_in
from tests.e2e.page_checks import DESKTOP, check_page
from tests.support.mail import link_in, sent_to


def test_a_member_opens_a_shop_and_invites_staff(page, live_app):
    suffix = uuid4().hex[:8]
    email = f"founder-{suffix}@example.com"
    slug = f"journey-{suffix}"
    make_person(live_app, email, name="Fran Founder")
    sign_in(page, email)

    menu = page.locator("#account-menu")
    menu.get_by_role("button", name="Account").click()
    menu.get_by_role("link", name="Open a shop").click()
    expect(page.get_by_role("heading", name="Open a shop")).to_be_visible()

    page.get_by_label("Shop name").fill(f"Journey Goods {suffix}")
    page.get_by_label("Shop address").fill(slug)
    page.get_by_label("Description").fill("Things for the road.")
    page.get_by_label("Contact email (optional)").fill(f"shop-{suffix}@example.com")
    page.get_by_role("button", name="Open my shop").click()

    expect(page).to_have_url(re.compile(rf"/shop/{slug}/admin/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("waiting for approval").first).to_be_visible()

    page.get_by_role("navigation", name="Shop back office").get_by_role(
        "link", name="Staff"
    ).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    colleague = f"colleague-{suffix}@example.com"
    page.get_by_label("Email", exact=True).fill(colleague)
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_text(re.compile(r"Invitation sent to c\*\*\*@example\.com"))).to_be_visible()
    # The owner sees the whole address she invited (and her own), not a masked one.
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("cell", name=colleague, exact=True)).to_be_visible()
    members = page.get_by_role("region", name=re.compile("^Members"))
    expect(members.get_by_text(email, exact=True)).to_be_visible()
    assert len(sent_to(live_app, colleague)) == 1

    # The shop is in the account menu now.
    menu.get_by_role("button", name="Account").click()
    expect(menu.get_by_role("link", name=f"Journey Goods {suffix}")).to_be_visible()


def assert_page_checks(page) -> None:
    """axe-core and the 390 px layout of the page as it is now, then back to a desktop size."""
    problems = check_page(page)
    page.set_viewport_size(DESKTOP)
    assert problems == []


def shop_by_slug(slug: str):
    """The shop with this address (call in the live app's context)."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.models import Tenant

    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def add_staff(live_app, slug: str, email: str, name: str, role: str = "staff") -> None:
    """A verified account that works for the shop ``slug`` with ``role``."""
    from mall.accounts.services import create_user
    from mall.extensions import db
    from mall.shops.models import Membership, Role

    with live_app.app_context():
        user = create_user(email, DEFAULT_PASSWORD, name=name, verified=True)
        shop = shop_by_slug(slug)
        db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=Role(role)))
        db.session.commit()


def test_an_owner_removes_a_member_through_the_confirmation_page(page, live_app):
    suffix = uuid4().hex[:8]
    owner, slug, shop = f"gt-owner-{suffix}@example.com", f"gt-{suffix}", f"Green Thumb {suffix}"
    make_person(live_app, owner, name="Gwen Green", owns=(slug, shop))
    sam = f"sam-{suffix}@example.com"
    add_staff(live_app, slug, sam, "Sam Staff", role="manager")
    sign_in(page, owner)

    page.goto(f"/shop/{slug}/admin/staff")
    members = page.get_by_role("region", name=re.compile("^Members"))
    expect(members.get_by_text(sam, exact=True)).to_be_visible()
    members.get_by_role("link", name="Remove Sam Staff").click()

    expect(
        page.get_by_role("heading", name=f"Remove Sam Staff (manager) from {shop}?")
    ).to_be_visible()
    expect(page.get_by_text("They lose access to the back office at once.")).to_be_visible()
    assert_page_checks(page)  # once the member is gone this page is a 404: check it now
    page.get_by_role("button", name="Remove Sam Staff").click()

    expect(page).to_have_url(re.compile(rf"/shop/{slug}/admin/staff$"))
    expect(page.get_by_text("The member is removed from the shop.")).to_be_visible()
    expect(page.get_by_text(sam)).to_have_count(0)
    expect(members.get_by_text(owner, exact=True)).to_be_visible()


def test_a_signed_out_invitee_sees_the_invitation_and_registers_from_it(page, live_app):
    from mall.accounts.services import find_user_by_email
    from mall.extensions import db
    from mall.shops import services
    from tenants.context import tenant_context

    suffix = uuid4().hex[:8]
    owner, slug, shop = f"gt-owner-{suffix}@example.com", f"gt-{suffix}", f"Green Thumb {suffix}"
    make_person(live_app, owner, name="Gwen Green", owns=(slug, shop))
    ivy = f"ivy.invitee-{suffix}@example.com"
    with live_app.app_context():
        green = shop_by_slug(slug)
        with tenant_context(green):
            services.invite(green, find_user_by_email(owner), email=ivy, role="staff")
            db.session.commit()
    link = link_in(sent_to(live_app, ivy)[0], "/invitations/")

    page.goto(link)  # signed out
    expect(page.get_by_role("heading", name=f"Join {shop}")).to_be_visible()
    expect(page.get_by_text(f"{shop} invited {ivy} to join as staff.")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value(ivy)
    assert_page_checks(page)  # signed in later, this link shows another page: check it now
    page.get_by_label("Your name").fill("Ivy Invitee")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_label("Repeat the password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_text("Your account is created.")).to_be_visible()
    # The confirmation link arrives by email; she opens it in another tab.
    verify = link_in(sent_to(live_app, ivy)[-1], "/account/verify/")
    mail_tab = page.context.new_page()
    mail_tab.goto(verify)
    expect(mail_tab.get_by_text("your email address is confirmed")).to_be_visible()
    mail_tab.close()

    page.get_by_role("link", name="Sign in to accept").click()
    page.get_by_label("Email", exact=True).fill(ivy)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name=f"Join {shop}")).to_be_visible()
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page).to_have_url(re.compile(rf"/shop/{slug}/admin/$"))
    expect(page.get_by_text(f"Welcome to the team of {shop}!")).to_be_visible()
