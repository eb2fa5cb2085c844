"""The affiliate's part of an account's data export and of its deletion.

Deleting the account keeps the affiliate row, because its commissions and payouts are
money history, but removes what identifies or pays the person: the sealed website,
promotion text and payout email, the Stripe account (its id and what Stripe said of it),
the operator's note and the link to the account. An approved affiliate stops earning:
nobody could be paid any more; for the same reason its commissions not yet paid go back
to the shops (``affiliates.commissions.forfeits``), and it leaves every shop's private
program.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from affiliates.applications.services import codes_of, get_affiliate_of, share_link
from affiliates.commissions.forfeits import forfeit_unpaid
from affiliates.models import Affiliate, AffiliateStatus
from affiliates.programs.private import leave_private_programs
from mall.accounts.models import User
from mall.extensions import db
from tenants.keys import reveal


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User) -> dict[str, Any] | None:
    """The account's affiliate record, decrypted (None: it never applied)."""
    affiliate = get_affiliate_of(user)
    if affiliate is None:
        return None
    recruiter = codes_of({affiliate.recruited_by_id}).get(affiliate.recruited_by_id)
    return {
        "status": affiliate.status.value,
        "code": affiliate.code,
        "link": share_link(affiliate.code) if affiliate.code else None,
        "website": reveal(affiliate, "website"),
        "how_you_promote": reveal(affiliate, "promotion"),
        "payout_method": affiliate.payout_method.value,
        "payout_email": reveal(affiliate, "payout_email"),
        "stripe_account_id": affiliate.stripe_account_id,
        "stripe_transfers_active": affiliate.stripe_transfers_active,
        "stripe_requirements": list(affiliate.stripe_requirements or []),
        "recruited_by_code": recruiter,
        "applied_at": _when(affiliate.created_at),
        "decided_at": _when(affiliate.decided_at),
        "decision_note": reveal(affiliate, "decision_note"),
    }


def forget_affiliate(user: User) -> None:
    """Account deletion: unlink the affiliate row from the account and clear its personal data;
    its commissions not yet paid go back to the shops (nobody is left to pay them to)."""
    affiliate_id = db.session.scalar(sa.select(Affiliate.id).where(Affiliate.user_id == user.id))
    if affiliate_id is None:
        return
    forfeit_unpaid(affiliate_id)
    leave_private_programs(affiliate_id)
    db.session.execute(
        sa.update(Affiliate)
        .where(Affiliate.user_id == user.id)
        .values(
            user_id=None,
            website_ct=None,
            promotion_ct=None,
            payout_email_ct=None,
            stripe_account_id=None,
            stripe_transfers_active=False,
            stripe_details_submitted=False,
            stripe_requirements=[],
            stripe_synced_at=None,
            decision_note_ct=None,
            status=sa.case(
                (Affiliate.status == AffiliateStatus.APPROVED, AffiliateStatus.SUSPENDED),
                else_=Affiliate.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )
