"""Staff: invitations by email, acceptance, roles, removal, the last owner, the staff list."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa

from mall.accounts.services import find_user_by_email
from mall.db import utcnow
from mall.extensions import db, limiter
from mall.shops import services
from mall.shops.models import Invitation, InvitationStatus, Membership, Role
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import TenantStatus
from tenants.services import set_status
from tests.support.mail import clear_outbox, link_in, sent_to, text_of

STAFF = "/shop/shop-a/admin/staff"
CONFIRMED = {"confirm": "yes"}


@pytest.fixture(autouse=True)
def empty_outbox(app):
    clear_outbox(app)
    limiter.reset()  # the invitation page's sign-up is rate-limited per IP


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner@example.com", name="Olga Owner")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


def add_member(shop, make_user, role=Role.STAFF, email=None, name=None):
    user = make_user(email, name=name) if name else make_user(email)
    membership = Membership(user_id=user.id, tenant_id=shop.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def invite(client, email="new.hire@example.com", role="manager"):
    return client.post(f"{STAFF}/invite", data={"email": email, "role": role})


def invitations(shop) -> list[Invitation]:
    with tenant_context(shop):
        return list(db.session.scalars(sa.select(Invitation)))


def memberships(shop) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(Membership.tenant_id == shop.id)))


# ---------------------------------------------------------------- invite and accept


def test_invite_email_accept_end_to_end(app, client, shop_a, owner, make_user, sign_in, no_csrf):
    response = invite(client)
    assert response.status_code == 302
    [invitation] = invitations(shop_a)
    assert invitation.role is Role.MANAGER
    assert b"new.hire" not in invitation.email_ct  # sealed under the shop's key

    [message] = sent_to(app, "new.hire@example.com")
    assert "Shop A" in message["Subject"]
    assert "Olga Owner" in text_of(message)
    assert "as manager" in text_of(message)
    link = link_in(message, "/invitations/")

    hire = make_user("New.Hire@Example.com", name="Nina New")  # case differs: still a match
    sign_in(hire)
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Shop A" in page.get_data(as_text=True)

    accepted = client.post(link)
    assert accepted.status_code == 302
    assert accepted.location.endswith("/shop/shop-a/admin/")
    membership = next(m for m in memberships(shop_a) if m.user_id == hire.id)
    assert membership.role is Role.MANAGER
    with tenant_context(shop_a):
        db.session.refresh(invitation)
        assert invitation.status is InvitationStatus.ACCEPTED
        assert invitation.accepted_by_id == hire.id

    again = client.post(link)  # a second click: no second membership
    assert again.status_code == 302
    assert len([m for m in memberships(shop_a) if m.user_id == hire.id]) == 1
    assert client.get("/shop/shop-a/admin/").status_code == 200


def sign_out(client):
    with client.session_transaction() as session:
        session.clear()


def test_a_signed_out_invitee_sees_who_invited_which_address(
    app, client, shop_a, owner, make_user, no_csrf
):
    make_user("ivy.invitee@example.com", name="Ivy Invitee")
    invite(client, "ivy.invitee@example.com", role="staff")
    link = link_in(sent_to(app, "ivy.invitee@example.com")[0], "/invitations/")
    sign_out(client)
    page = client.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Shop A invited <strong>ivy.invitee@example.com</strong> to join as" in text
    assert "<strong>staff</strong>" in text
    # The address has an account: sign in, and come back to the invitation (same host only).
    [sign_in_link] = re.findall(r'href="(/account/login\?[^"]*)"', text)
    assert parse_qs(urlsplit(unescape(sign_in_link)).query)["next"] == [link]
    assert "Create your account" not in text


def test_a_signed_out_invitee_without_an_account_registers_from_the_invitation(
    app, client, shop_a, owner, no_csrf
):
    invite(client, "ivy.invitee@example.com", role="staff")
    link = link_in(sent_to(app, "ivy.invitee@example.com")[0], "/invitations/")
    sign_out(client)
    landing = client.get(link).get_data(as_text=True)
    assert "Shop A invited <strong>ivy.invitee@example.com</strong>" in landing
    assert "Create your account" in landing

    weak = client.post(link, data={"name": "Ivy", "password": "short", "confirm": "short"})
    assert weak.status_code == 400
    assert find_user_by_email("ivy.invitee@example.com") is None

    password = "a long and fine passphrase"
    form = {"name": "Ivy Invitee", "password": password, "confirm": password}
    registered = client.post(link, data=form)
    assert registered.status_code == 303
    assert registered.location == link
    ivy = find_user_by_email("ivy.invitee@example.com")  # the invited address, never a typed one
    assert ivy is not None and ivy.name == "Ivy Invitee" and not ivy.is_verified
    after = client.get(link).get_data(as_text=True)
    assert "confirm" in after.lower() and "Sign in to accept" in after

    verify = link_in(sent_to(app, "ivy.invitee@example.com")[-1], "/account/verify/")
    assert client.get(verify).status_code == 302
    signed_in = client.post(
        f"/account/login?next={quote(link, safe='')}",
        data={"email": "ivy.invitee@example.com", "password": password},
    )
    assert signed_in.status_code == 302
    assert signed_in.location == link  # back to the invitation
    assert "Join Shop A" in client.get(link).get_data(as_text=True)
    assert client.post(link).status_code == 302
    assert any(m.user_id == ivy.id and m.role is Role.STAFF for m in memberships(shop_a))


def test_a_broken_invitation_says_why_to_signed_out_visitors(app, client, shop_a, owner, no_csrf):
    invite(client)
    link = link_in(sent_to(app, "new.hire@example.com")[0], "/invitations/")
    [invitation] = invitations(shop_a)
    client.post(f"/shop/shop-a/admin/invitations/{invitation.id}/revoke")
    sign_out(client)
    for response in (client.get(link), client.post(link, data={"name": "X"})):
        assert response.status_code == 400
        assert "withdrawn by the shop" in response.get_data(as_text=True)
    tampered = client.get(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"))
    assert tampered.status_code == 400
    assert find_user_by_email("new.hire@example.com") is None


def test_an_invitation_is_for_its_address_only(
    app, client, shop_a, owner, make_user, sign_in, no_csrf
):
    invite(client)
    link = link_in(sent_to(app, "new.hire@example.com")[0], "/invitations/")
    sign_in(make_user("someone.else@example.com"))
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        assert "sent to another email address" in response.get_data(as_text=True)
    assert len(memberships(shop_a)) == 1


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ("expire", "has expired"),
        ("revoke", "withdrawn by the shop"),
        ("tamper", "not valid"),
    ],
)
def test_unusable_invitations_answer_400(
    app, client, shop_a, owner, make_user, sign_in, no_csrf, spoil, message
):
    invite(client)
    link = link_in(sent_to(app, "new.hire@example.com")[0], "/invitations/")
    [invitation] = invitations(shop_a)
    if spoil == "expire":
        with tenant_context(shop_a):
            invitation.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
    elif spoil == "revoke":
        assert (
            client.post(f"/shop/shop-a/admin/invitations/{invitation.id}/revoke").status_code == 302
        )
    else:
        link = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    sign_in(make_user("new.hire@example.com"))
    response = client.post(link)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(memberships(shop_a)) == 1


def test_reinviting_a_pending_address_resends_the_same_invitation(
    app, client, shop_a, owner, no_csrf
):
    assert invite(client, role="manager").status_code == 302
    assert invite(client, "NEW.HIRE@example.com ", role="sales_rep").status_code == 302
    [invitation] = invitations(shop_a)
    assert invitation.role is Role.SALES_REP
    # The email goes again, to the address first invited, for the one invitation.
    messages = sent_to(app, "new.hire@example.com")
    assert len(messages) == 2
    assert "as sales rep" in text_of(messages[-1])


def test_inviting_an_existing_member_says_so(client, shop_a, owner, make_user, no_csrf):
    add_member(shop_a, make_user, email="already@example.com")
    response = invite(client, "already@example.com")
    assert response.status_code == 400
    assert "already a member of the shop" in response.get_data(as_text=True)
    assert invitations(shop_a) == []


def test_nobody_is_invited_as_owner(client, shop_a, owner, no_csrf):
    response = invite(client, role="owner")
    assert response.status_code == 400
    assert invitations(shop_a) == []
    with pytest.raises(services.StaffError):
        services.invite(shop_a, owner, email="x@example.com", role=Role.OWNER)


def test_revoking_twice_is_harmless(client, shop_a, owner, no_csrf):
    invite(client)
    [invitation] = invitations(shop_a)
    path = f"/shop/shop-a/admin/invitations/{invitation.id}/revoke"
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 302
    db.session.expire_all()
    with tenant_context(shop_a):
        assert scoped_get(Invitation, invitation.id).status is InvitationStatus.REVOKED
    assert "No invitation is waiting" in client.get(STAFF).get_data(as_text=True)


# ---------------------------------------------------------------- roles and removal


def test_change_role_and_remove(client, shop_a, owner, make_user, no_csrf):
    member = add_member(shop_a, make_user)
    response = client.post(f"{STAFF}/{member.id}/role", data={"role": "manager"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.role is Role.MANAGER
    assert client.post(f"{STAFF}/{member.id}/role", data={"role": "boss"}).status_code == 400

    assert client.post(f"{STAFF}/{member.id}/remove", data=CONFIRMED).status_code == 303
    assert [m.user_id for m in memberships(shop_a)] == [owner.id]


def test_removing_a_member_asks_first_naming_what_happens(
    client, shop_a, owner, make_user, no_csrf
):
    member = add_member(shop_a, make_user, Role.MANAGER, "sam@example.com", name="Sam Staff")
    remove = f"{STAFF}/{member.id}/remove"
    assert f'href="{remove}"' in client.get(STAFF).get_data(as_text=True)  # a link, not a POST

    page = client.get(remove)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Remove Sam Staff (manager) from Shop A?" in text
    assert "They lose access to the back office at once." in text
    assert re.search(rf'<form method="post" action="{remove}"', text)
    assert member.id in [m.id for m in memberships(shop_a)]  # asking changed nothing

    done = client.post(remove, data=CONFIRMED)
    assert done.status_code == 303
    assert done.location.endswith(STAFF)
    assert [m.user_id for m in memberships(shop_a)] == [owner.id]
    assert client.post(remove, data=CONFIRMED).status_code == 404  # already gone


def test_a_remove_without_the_confirmation_only_asks(client, shop_a, owner, make_user, no_csrf):
    member = add_member(shop_a, make_user)
    response = client.post(f"{STAFF}/{member.id}/remove")
    assert response.status_code == 303
    assert response.location.endswith(f"{STAFF}/{member.id}/remove")
    assert member.id in [m.id for m in memberships(shop_a)]


def test_a_remove_needs_the_csrf_token(client, shop_a, owner, make_user):
    member = add_member(shop_a, make_user)
    assert client.post(f"{STAFF}/{member.id}/remove", data=CONFIRMED).status_code == 400
    assert member.id in [m.id for m in memberships(shop_a)]


def test_the_last_owner_cannot_be_demoted_or_removed(client, shop_a, owner, no_csrf):
    [mine] = memberships(shop_a)
    demote = client.post(f"{STAFF}/{mine.id}/role", data={"role": "manager"})
    assert demote.status_code == 400
    assert "at least one owner" in demote.get_data(as_text=True)
    remove = client.post(f"{STAFF}/{mine.id}/remove", data=CONFIRMED)
    assert remove.status_code == 400
    assert "at least one owner" in remove.get_data(as_text=True)
    asking = client.get(f"{STAFF}/{mine.id}/remove").get_data(as_text=True)
    assert "at least one owner" in asking
    assert 'name="confirm"' not in asking  # nothing to confirm
    db.session.refresh(mine)
    assert mine.role is Role.OWNER


def test_with_two_owners_one_may_step_down(client, shop_a, owner, make_user, no_csrf):
    add_member(shop_a, make_user, role=Role.OWNER)
    mine = next(m for m in memberships(shop_a) if m.user_id == owner.id)
    response = client.post(f"{STAFF}/{mine.id}/role", data={"role": "manager"})
    assert response.status_code == 302
    assert response.location.endswith("/shop/shop-a/admin/")  # no longer sees the staff list
    db.session.refresh(mine)
    assert mine.role is Role.MANAGER


def test_another_shops_objects_are_not_found(client, shop_a, shop_b, owner, make_user, no_csrf):
    theirs = add_member(shop_b, make_user)
    with tenant_context(shop_b):
        invitation = services.invite(shop_b, owner, email="b@example.com", role=Role.STAFF)
        invitation_id = invitation.id
        db.session.commit()
    assert client.post(f"{STAFF}/{theirs.id}/role", data={"role": "owner"}).status_code == 404
    assert client.post(f"{STAFF}/{theirs.id}/remove", data=CONFIRMED).status_code == 404
    assert client.get(f"{STAFF}/{theirs.id}/remove").status_code == 404
    revoke = f"/shop/shop-a/admin/invitations/{invitation_id}/revoke"
    assert client.post(revoke).status_code == 404
    db.session.refresh(theirs)
    assert theirs.role is Role.STAFF


# ---------------------------------------------------------------- the staff list


def test_owners_and_managers_see_their_staffs_full_emails(
    client, shop_a, owner, make_user, sign_in, no_csrf
):
    add_member(shop_a, make_user, email="grace.hopper@example.com", name="Grace Hopper")
    invite(client, "pending.person@example.com")
    for who in ("owner", "manager"):
        if who == "manager":
            manager = add_member(shop_a, make_user, Role.MANAGER, "mia@example.com", name="Mia")
            sign_in(manager.user)
        page = client.get(STAFF).get_data(as_text=True)
        assert "Grace Hopper" in page
        assert "grace.hopper@example.com" in page, who
        assert "pending.person@example.com" in page, who
        assert "owner@example.com" in page, who
        assert "g***@example.com" not in page, who


def test_the_staff_list_is_paginated_with_constant_queries(
    client, shop_a, owner, make_user, count_queries
):
    add_member(shop_a, make_user)
    with count_queries() as few:
        assert client.get(STAFF).status_code == 200
    for _ in range(30):
        add_member(shop_a, make_user)
    with count_queries() as many:
        first = client.get(STAFF)
    assert first.status_code == 200
    assert many.count == few.count
    assert "Page 1 of 2" in first.get_data(as_text=True)
    assert "Page 2 of 2" in client.get(f"{STAFF}?page=2").get_data(as_text=True)


def test_a_suspended_shops_back_office_is_read_only(client, shop_a, owner, make_user, no_csrf):
    shop_a.suspended_reason = "Unpaid fees"
    set_status(shop_a, TenantStatus.SUSPENDED)
    db.session.commit()
    dashboard = client.get("/shop/shop-a/admin/")
    assert dashboard.status_code == 200
    assert "Unpaid fees" in dashboard.get_data(as_text=True)
    assert "read-only" in dashboard.get_data(as_text=True)
    refused = invite(client)
    assert refused.status_code == 403
    assert "read-only" in refused.get_data(as_text=True)
    settings = client.post("/shop/shop-a/admin/settings", data={"name": "Changed"})
    assert settings.status_code == 403
    assert invitations(shop_a) == []
