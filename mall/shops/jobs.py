"""Shop emails and file clean-up, run by jobs that receive ids only."""

from __future__ import annotations

from uuid import UUID

from flask import current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.shops.models import Invitation, InvitationStatus
from mall.storage import storage
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant, TenantStatus


@job(queue="mail")
def send_welcome_email(tenant_id: str, user_id: str) -> None:
    """Welcome a shop's creator: pending shops wait for review, active ones are open."""
    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    user = db.session.get(User, UUID(str(user_id)))
    if shop is None or user is None:
        return
    message = render_message(
        "welcome",
        to=user.email,
        subject=f"Welcome to {current_app.config['MALL_NAME']}: {shop.name}",
        name=user.name or "there",
        shop_name=shop.name,
        pending=shop.status is TenantStatus.PENDING,
        shop_url=external_url("shop_admin.dashboard", shop=shop.slug),
    )
    deliver(message)


@job(queue="mail")
def send_staff_invitation(tenant_id: str, invitation_id: str) -> None:
    """Email a pending invitation its signed acceptance link."""
    from mall.shops.services import INVITATION_DAYS, invitation_token, role_label

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        invitation = scoped_get(Invitation, invitation_id)
        if invitation is None or invitation.status is not InvitationStatus.PENDING:
            return
        inviter = (
            db.session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
        )
        message = render_message(
            "staff_invitation",
            to=invitation.email,
            subject=f"Join {shop.name} on {current_app.config['MALL_NAME']}",
            inviter_name=(inviter.name if inviter else None) or f"The team of {shop.name}",
            shop_name=shop.name,
            role=role_label(invitation.role),
            expires_days=INVITATION_DAYS,
            accept_url=external_url("shops.invitation", token=invitation_token(invitation)),
        )
    deliver(message)


@job(queue="maintenance")
def delete_logo(tenant_id: str, key: str) -> None:
    """Delete a shop's replaced logo file (after the change that replaced it committed)."""
    # Only that shop's logos: a key is an id here, but never trust it to point elsewhere.
    if key.startswith(f"logos/{tenant_id}/"):
        storage().delete(key)
