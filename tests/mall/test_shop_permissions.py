"""Who may do what in a shop's back office: every role by every admin action, as the table says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mall.db import utcnow
from mall.extensions import db
from mall.shops.models import Invitation, Membership, Role
from mall.shops.permissions import ALL, PERMISSIONS, can, requires
from tenants.context import tenant_context
from tests.support.mail import clear_outbox

ADMIN = "/shop/shop-a/admin"

# action -> (method, path template, form data, permission it needs)
ACTIONS = {
    "dashboard": ("GET", "/", None, "shop.view"),
    "settings_view": ("GET", "/settings", None, "shop.settings"),
    "settings_save": (
        "POST",
        "/settings",
        {"name": "Shop A", "description": "", "contact_email": "", "policies": ""},
        "shop.settings",
    ),
    "staff_list": ("GET", "/staff", None, "staff.view"),
    "invite": (
        "POST",
        "/staff/invite",
        {"email": "x@example.com", "role": "staff"},
        "staff.manage",
    ),
    "change_role": ("POST", "/staff/{membership}/role", {"role": "sales_rep"}, "staff.manage"),
    "remove_confirm": ("GET", "/staff/{membership}/remove", None, "staff.manage"),
    "remove": ("POST", "/staff/{membership}/remove", {"confirm": "yes"}, "staff.manage"),
    "revoke": ("POST", "/invitations/{invitation}/revoke", {}, "staff.manage"),
}


@pytest.fixture(autouse=True)
def setup(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    clear_outbox(app)


@pytest.fixture
def targets(shop_a, make_user):
    """A staff member and a pending invitation of shop A for the actions to act on."""
    target = make_user("target@example.com")
    membership = Membership(user_id=target.id, tenant_id=shop_a.id, role=Role.STAFF)
    db.session.add(membership)
    db.session.commit()
    with tenant_context(shop_a):
        invitation = Invitation(
            tenant_id=shop_a.id, role=Role.STAFF, expires_at=utcnow() + timedelta(days=7)
        )
        invitation.email = "invited@example.com"
        db.session.add(invitation)
        db.session.flush()
        invitation_id = invitation.id
        db.session.commit()
    return {"membership": membership.id, "invitation": invitation_id}


def perform(client, action: str, targets: dict):
    method, path, data, _ = ACTIONS[action]
    return client.open(ADMIN + path.format(**targets), method=method, data=data)


def member_with(role: Role, shop, make_user, sign_in):
    user = make_user(f"{role.value}@example.com")
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    sign_in(user)
    return user


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_action_table(client, shop_a, make_user, sign_in, targets, role, action):
    member_with(role, shop_a, make_user, sign_in)
    response = perform(client, action, targets)
    permission = ACTIONS[action][3]
    if permission in PERMISSIONS[role]:
        assert 200 <= response.status_code < 400, f"{role.value} {action}: {response.status_code}"
    else:
        assert response.status_code == 403, f"{role.value} {action}: {response.status_code}"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_non_members_get_404(client, shop_a, shop_b, make_user, sign_in, targets, action):
    member_with(Role.OWNER, shop_b, make_user, sign_in)  # an owner elsewhere is nobody here
    response = perform(client, action, targets)
    assert response.status_code == 404
    assert "Shop A" not in response.get_data(as_text=True)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_anonymous_visitors_are_sent_to_sign_in(client, shop_a, targets, action):
    response = perform(client, action, targets)
    assert response.status_code == 302
    assert "/account/login?next=" in response.location


def test_the_dashboard_links_only_to_what_the_role_may_do(client, shop_a, make_user, sign_in):
    member_with(Role.STAFF, shop_a, make_user, sign_in)
    page = client.get(f"{ADMIN}/").get_data(as_text=True)
    assert "waiting for approval" not in page  # shop A is active
    assert f'href="{ADMIN}/settings"' not in page
    assert f'href="{ADMIN}/staff"' not in page


def test_the_owner_sees_every_link(client, shop_a, make_user, sign_in):
    member_with(Role.OWNER, shop_a, make_user, sign_in)
    page = client.get(f"{ADMIN}/").get_data(as_text=True)
    assert f'href="{ADMIN}/settings"' in page
    assert f'href="{ADMIN}/staff"' in page


def test_every_admin_view_declares_its_permission(app):
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("shop_admin."):
            assert getattr(view, "permission", None) in ALL, endpoint


def test_can_and_requires_refuse_unknown_permissions():
    assert can(Role.OWNER, "staff.manage")
    assert not can(Role.MANAGER, "staff.manage")
    assert not can(None, "shop.view")
    with pytest.raises(KeyError):
        can(Role.OWNER, "shop.destroy")
    with pytest.raises(KeyError):
        requires("shop.destroy")
