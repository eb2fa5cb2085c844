"""A shop's Money pages in its back office, /shop/<slug>/admin/…: one module a blueprint.

- ``money``: the Money page, statement and yearly CSVs (``ledger_admin``, /admin/money/);
- ``disputes``: the shop's disputes and its evidence (``disputes_admin``, /admin/disputes);
- ``payouts``: how the shop is paid and its payouts (``payouts_admin``, /admin/payouts).

What they share is here: the payouts' status words and the permission check.
"""

from __future__ import annotations

from flask import g

from mall.ledger.models import PayoutStatus
from mall.shops.permissions import can

# The blueprints' root is this folder; their templates are mall/ledger/templates.
TEMPLATES = "../templates"

PAYOUT_LABELS = {
    PayoutStatus.PENDING: "Being prepared",
    PayoutStatus.SENT: "Sent",
    PayoutStatus.PAID: "Paid",
    PayoutStatus.FAILED: "Failed or returned",
    PayoutStatus.CANCELLED: "Cancelled",
}


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)
