"""Commissions nobody can be paid any more: an affiliate's account was deleted.

Deleting the account clears the payout details, so its commissions not yet paid (pending
or approved, not in a payout) are given back to the shops that would have paid them
rather than waiting for ever in the affiliate's balances: each is rejected with the flag
``FORFEITED`` and posted back once (the same step as the operator's rejection). A
clawback (money the affiliate owes after a refund) stays as the record it is.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from affiliates.commissions.services import get_commission, withdraw_unpaid
from affiliates.models import AffiliateCommission, CommissionKind, CommissionStatus
from mall.extensions import db
from tenants.context import all_tenants, tenant_context

FORFEITED = "forfeited: the affiliate's account was deleted"


def forfeit_unpaid(affiliate_id: UUID) -> int:
    """Give every unpaid commission of ``affiliate_id`` back to its shop; how many. A second
    run finds none (they are rejected)."""
    with all_tenants("account deletion: the affiliate's unpaid commissions (ids only)"):
        rows = db.session.execute(
            sa.select(AffiliateCommission.id, AffiliateCommission.tenant_id)
            .where(
                AffiliateCommission.affiliate_id == affiliate_id,
                AffiliateCommission.status.in_(
                    (CommissionStatus.PENDING, CommissionStatus.APPROVED)
                ),
                AffiliateCommission.kind != CommissionKind.CLAWBACK,
            )
            .order_by(AffiliateCommission.tenant_id, AffiliateCommission.id)
        ).all()
    forfeited = 0
    for commission_id, shop_id in rows:
        with tenant_context(shop_id):
            commission = get_commission(commission_id)
            if commission is None:
                continue
            given_back = withdraw_unpaid(
                commission,
                flag=FORFEITED,
                event="forfeit",
                memo="Affiliate commission forfeited: the affiliate's account was deleted",
            )
            forfeited += given_back is not None
    return forfeited
