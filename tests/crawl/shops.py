"""Member shops: registration, invitations, logos, and the shop back office."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from mall.db import utcnow
from mall.extensions import db

MALL_ROUTES = {"shops.new", "shops.media", "shops.invitation"}
SHOP_ROUTES = {
    "shop_admin.dashboard",
    "shop_admin.settings",
    "shop_admin.staff",
    "shop_admin.invite",
    "shop_admin.change_role",
    "shop_admin.remove_member",
    "shop_admin.revoke_invitation",
}


def make_membership(shop):
    """A staff member of ``shop`` (a new user); returns the membership id."""
    from mall.accounts.services import create_user
    from mall.shops.models import Membership, Role

    user = create_user(f"crawl-{uuid4().hex[:12]}@example.com", "correct horse battery")
    membership = Membership(user_id=user.id, tenant_id=shop.id, role=Role.STAFF)
    db.session.add(membership)
    db.session.commit()
    return membership.id


def make_invitation(shop):
    """A pending invitation of ``shop``; returns its id."""
    from mall.shops.models import Invitation, Role
    from tenants.context import tenant_context

    with tenant_context(shop):
        invitation = Invitation(
            tenant_id=shop.id, role=Role.STAFF, expires_at=utcnow() + timedelta(days=7)
        )
        invitation.email = f"crawl-{uuid4().hex[:12]}@example.com"
        db.session.add(invitation)
        db.session.flush()
        invitation_id = invitation.id
        db.session.commit()
    return invitation_id


OBJECT_IDS = {"membership_id": make_membership, "invitation_id": make_invitation}
