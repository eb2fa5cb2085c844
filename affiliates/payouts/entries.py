"""What an affiliate payout posts, each once (keyed by the payout). Signs as everywhere:
debit > 0, credit < 0; every line names the affiliate on an affiliate account::

    made      affiliate_payout:<payout>           Dr affiliate_available / Cr affiliate_in_transit
    paid      affiliate_payout_paid:<payout>      Dr affiliate_in_transit / Cr processor
    failed    affiliate_payout_failed:<payout>    Dr affiliate_in_transit / Cr affiliate_available
    returned  affiliate_payout_returned:<payout>  Dr processor / Cr affiliate_available

"Failed" is a payout that never left (refused, or the operator says PayPal did not pay it);
"returned" one that was marked paid and came back (an unclaimed PayPal payment).
"""

from __future__ import annotations

from affiliates.models import AffiliatePayout
from mall.ledger.models import Account, EntryKind, LedgerEntry
from mall.ledger.posting import Line, post


def reference(payout: AffiliatePayout) -> str:
    """The payout's reference for people, PayPal and Stripe: ``AP-`` and 12 hex digits."""
    return f"AP-{payout.id.hex[-12:].upper()}"


def _affiliate(account: Account, payout: AffiliatePayout, amount: int, kind: str) -> Line:
    return Line(account, amount, kind=kind, affiliate_id=payout.affiliate_id)


def _post(
    payout: AffiliatePayout, kind: EntryKind, step: str, lines: list[Line], memo: str
) -> LedgerEntry | None:
    return post(
        kind,
        lines,
        key=f"{step}:{payout.id}",
        ref_type="affiliate_payout",
        ref_id=payout.id,
        memo=memo,
    )


def post_made(payout: AffiliatePayout) -> LedgerEntry | None:
    """The approved balance leaves the affiliate's available account: it is in transit."""
    lines = [
        _affiliate(Account.AFFILIATE_AVAILABLE, payout, payout.amount, "affiliate_payout"),
        _affiliate(Account.AFFILIATE_IN_TRANSIT, payout, -payout.amount, "affiliate_payout"),
    ]
    memo = f"Affiliate payout {reference(payout)}"
    return _post(payout, EntryKind.PAYOUT, "affiliate_payout", lines, memo)


def post_paid(payout: AffiliatePayout) -> LedgerEntry | None:
    """The money left the platform (a Stripe transfer made, PayPal's batch paid)."""
    lines = [
        _affiliate(Account.AFFILIATE_IN_TRANSIT, payout, payout.amount, "affiliate_payout_paid"),
        Line(Account.PROCESSOR, -payout.amount, kind="affiliate_payout_paid"),
    ]
    memo = f"Affiliate payout {reference(payout)} paid"
    return _post(payout, EntryKind.PAYOUT_PAID, "affiliate_payout_paid", lines, memo)


def post_failed(payout: AffiliatePayout, reason: str) -> LedgerEntry | None:
    """Nothing was paid: the amount is the affiliate's available balance again."""
    kind = "affiliate_payout_failed"
    lines = [
        _affiliate(Account.AFFILIATE_IN_TRANSIT, payout, payout.amount, kind),
        _affiliate(Account.AFFILIATE_AVAILABLE, payout, -payout.amount, kind),
    ]
    memo = f"Affiliate payout {reference(payout)} failed: {reason}"
    return _post(payout, EntryKind.PAYOUT_FAILED, kind, lines, memo)


def post_returned(payout: AffiliatePayout, reason: str) -> LedgerEntry | None:
    """Paid, then returned: the platform has the money again, the affiliate is owed it."""
    kind = "affiliate_payout_returned"
    lines = [
        Line(Account.PROCESSOR, payout.amount, kind=kind),
        _affiliate(Account.AFFILIATE_AVAILABLE, payout, -payout.amount, kind),
    ]
    memo = f"Affiliate payout {reference(payout)} returned: {reason}"
    return _post(payout, EntryKind.PAYOUT_FAILED, kind, lines, memo)
