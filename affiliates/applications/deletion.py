"""What the privacy pages say about the affiliate program: what it keeps (for everyone),
what deleting the account does to the person's affiliate record (for an affiliate), and
what the export's affiliate file holds.

The deletion page names the money the person would give up, so nobody loses it silently:
commissions not yet paid (pending or approved) go back to the shops at the deletion
(``affiliates.commissions.forfeits``), since nobody is left to pay them
(``privacy.forget_affiliate`` clears the payout details and suspends the code), and a
payout on its way may not arrive once its payout email is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from affiliates.applications.services import get_affiliate_of
from affiliates.dashboard.numbers import commissions_by_status
from affiliates.models import (
    Affiliate,
    AffiliatePayout,
    AffiliatePayoutStatus,
    AffiliateStatus,
    CommissionStatus,
)
from mall.accounts.models import User
from mall.accounts.privacy_views import PrivacyNote
from mall.accounts.retention import retention_years
from mall.extensions import db
from mall.money import format_money

EXPORT_FILE = "affiliate"  # the export's account section, and its own file affiliate.json
EXPORT_FILE_TEXT = (
    "affiliate.json: your affiliate record: its status and code, your share link, the answers "
    "you gave when you applied (website, how you promote), how you are paid (payout method, "
    "PayPal email, and your Stripe account if you connected one), the code of the affiliate "
    "who recruited you, when you applied and when we decided, and our note on that decision. "
    "Your commissions and payouts are on your affiliate dashboard."
)


@dataclass(frozen=True)
class Unpaid:
    """What the mall still owes an affiliate: commissions not yet paid, and payouts under way."""

    pending: int = 0  # inside the holding period (or waiting for the mall's review)
    approved: int = 0  # payable in the next payout (clawbacks net against it)
    in_transit: int = 0  # in a payout made but not yet confirmed paid

    @property
    def commissions(self) -> int:
        """The commissions not yet paid, net of clawbacks (never below 0)."""
        return max(0, self.pending + self.approved)


def unpaid_of(affiliate: Affiliate) -> Unpaid:
    """The affiliate's unpaid commissions by status and the payouts still on their way (two
    queries)."""
    sums = {row.status: row.amount for row in commissions_by_status(affiliate.id)}
    in_transit = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AffiliatePayout.amount), 0)).where(
            AffiliatePayout.affiliate_id == affiliate.id,
            AffiliatePayout.status == AffiliatePayoutStatus.IN_TRANSIT,
        )
    )
    return Unpaid(
        pending=sums.get(CommissionStatus.PENDING, 0),
        approved=sums.get(CommissionStatus.APPROVED, 0),
        in_transit=int(in_transit or 0),
    )


def kept_note(_user: User) -> PrivacyNote:
    """What the affiliate program keeps, for the privacy page (the same for everyone)."""
    return PrivacyNote(
        key="affiliates",
        heading="The affiliate program",
        items=(
            "If you apply: your answers (website, how you promote) and your payout email, sealed "
            "(encrypted); they go when you delete your account.",
            "Clicks on affiliate links: the page, the referring site, the time and the kind of "
            "browser; of the IP "
            "address only a blind index (a keyed fingerprint that cannot be turned back into "
            "the address), to count visitors and spot bursts.",
            "Commissions and payouts are money records: they are kept for at least the legal "
            f"retention period ({retention_years()} years), with amounts, the affiliate code "
            "and the shops' order numbers, no name or email.",
            "Your data export includes your affiliate record (affiliate.json), if you applied.",
        ),
    )


def deletion_note(user: User) -> PrivacyNote | None:
    """What deleting the account does to the person's affiliate record, with the money they
    would give up; None for someone who never applied."""
    affiliate = get_affiliate_of(user)
    if affiliate is None:
        return None
    answers = (
        "Your application answers, your payout email and your Stripe account link are deleted."
    )
    if affiliate.code is None:  # never approved: no code, no commissions
        return PrivacyNote(key="affiliate", heading="Your affiliate application", items=(answers,))
    items = []
    if affiliate.status is AffiliateStatus.APPROVED:
        items.append(
            f"Your affiliate code {affiliate.code} stops working: links and coupons carrying "
            "it earn nothing more, and it cannot be given back to you."
        )
    items += [
        "Commissions not yet paid (pending or approved) are forfeited and go back to the "
        "shops: nobody is left to pay them to.",
        answers,
        "Your commissions and payouts stay as money records, anonymised: amounts, the code and "
        "the shops' order numbers, with no link to you.",
    ]
    return PrivacyNote(
        key="affiliate",
        heading="Your affiliate record",
        items=tuple(items),
        warning=_warning(unpaid_of(affiliate)),
    )


def _warning(unpaid: Unpaid) -> str:
    """The money the deletion would cost, in plain words ("" when there is none)."""
    said = []
    if unpaid.commissions:
        said.append(
            f"You have {format_money(unpaid.commissions)} of commissions not yet paid "
            f"({format_money(unpaid.pending)} pending, {format_money(unpaid.approved)} "
            "approved). Deleting your account now gives it up."
        )
    if unpaid.in_transit:
        said.append(
            f"A payout of {format_money(unpaid.in_transit)} is on its way to you: wait until "
            "it arrives, or it may not reach you."
        )
    return " ".join(said)
