"""The payouts' job: a Stripe transfer, after the batch's commit (ids only)."""

from __future__ import annotations

from mall.jobs import job


@job()
def send_transfer(payout_id: str) -> bool:
    """Make one affiliate payout's Stripe transfer; retried while Stripe does not answer."""
    from affiliates.payouts.queries import get_payout
    from affiliates.payouts.transfers import send_transfer as send

    payout = get_payout(payout_id)
    return payout is not None and send(payout)
