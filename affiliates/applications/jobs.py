"""The emails of the operator's decisions, sent by a job that receives ids only.

The job reads the affiliate and its account at send time: the address is never an
argument, and an email whose decision was undone meanwhile (approved, then suspended
before the job ran) is not sent. It carries only the person's own details: their code,
their link, the operator's note to them.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app

from affiliates.models import Affiliate, AffiliateStatus
from mall.accounts.models import User
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.urls import external_url

# verb -> (the status the email announces, its subject)
NOTICES = {
    "approve": (AffiliateStatus.APPROVED, "Welcome to the {mall} affiliate program"),
    "reject": (AffiliateStatus.REJECTED, "Your application to the {mall} affiliate program"),
    "suspend": (AffiliateStatus.SUSPENDED, "Your {mall} affiliate account is suspended"),
    "reinstate": (AffiliateStatus.APPROVED, "Your {mall} affiliate account is active again"),
}


@job(queue="mail")
def send_decision_email(affiliate_id: str, verb: str) -> bool:
    """Tell the applicant or affiliate what the operator decided; False when nothing was sent
    (unknown verb, decision undone meanwhile, account deleted)."""
    from affiliates.applications.services import share_link

    if verb not in NOTICES:
        return False
    status, subject = NOTICES[verb]
    affiliate = db.session.get(Affiliate, UUID(str(affiliate_id)))
    if affiliate is None or affiliate.status is not status or affiliate.user_id is None:
        return False
    user = db.session.get(User, affiliate.user_id)
    if user is None:
        return False
    message = render_message(
        f"affiliates/applications/email/{verb}",
        to=user.email,
        subject=subject.format(mall=current_app.config["MALL_NAME"]),
        name=user.name or "there",
        code=affiliate.code,
        link=share_link(affiliate.code) if affiliate.code else None,
        note=affiliate.decision_note,
        home_url=external_url("affiliates.home"),
        apply_url=external_url("affiliates.apply"),
    )
    deliver(message)
    return True
