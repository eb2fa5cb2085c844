"""The private program's emails, sent by jobs that receive ids only."""

from __future__ import annotations

from uuid import UUID

from affiliates.models import ShopAffiliateStatus
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus


@job(queue="mail")
def send_private_invitation(shop_id: str, member_id: str) -> bool:
    """Email an open email invitation its signed link; False when nothing was sent (the
    invitation was answered or removed before the job ran, or the shop closed)."""
    from affiliates.programs.invitations import INVITATION_DAYS, invitation_link, offered_rate
    from affiliates.programs.private import get_member

    shop = db.session.get(Tenant, UUID(str(shop_id)))
    if shop is None or shop.status is TenantStatus.CLOSED:
        return False
    with tenant_context(shop):
        row = get_member(UUID(str(member_id)))
        if (
            row is None
            or row.status is not ShopAffiliateStatus.INVITED
            or row.affiliate_id is not None
            or row.email_ct is None
        ):
            return False
        message = render_message(
            "affiliates/programs/email/invitation",
            to=row.email,
            subject=f"{shop.name} invites you to its affiliate program",
            shop_name=shop.name,
            rate=offered_rate(row),
            link=invitation_link(row),
            days=INVITATION_DAYS,
            apply_url=external_url("affiliates.apply"),
        )
    deliver(message)
    return True
