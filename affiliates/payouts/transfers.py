"""Stripe's side of an affiliate payout: one transfer to the affiliate's connected account.

The idempotency key is the payout's, so a retried job gets the first transfer back and
never pays twice. Stripe refusing it (no such account, transfers not enabled) fails the
payout: the money is the affiliate's available balance again. Stripe not answering raises
``StripeUnavailable`` and the job is retried with the same key.
"""

from __future__ import annotations

import stripe

from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliatePayout, AffiliatePayoutStatus, PayoutMethod
from affiliates.payouts.entries import reference
from affiliates.payouts.services import fail_payout, settle_paid
from mall.extensions import db
from mall.money import currency
from mall.payments.errors import PaymentError
from mall.payments.providers.stripe import client

TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError)


class StripeUnavailable(AffiliateError):
    """Stripe did not answer; the job is retried with the same idempotency key."""


def transfer_key(payout: AffiliatePayout) -> str:
    return f"mall-affiliate-payout-{payout.id.hex}-transfer"


def send_transfer(payout: AffiliatePayout) -> bool:
    """Make the payout's transfer (once) and mark it paid; False when there is nothing to send
    (not a Stripe payout, no longer in transit) or Stripe refused it (the payout failed)."""
    if payout.method is not PayoutMethod.STRIPE:
        return False
    if payout.status is not AffiliatePayoutStatus.IN_TRANSIT or payout.transfer_id:
        return False
    affiliate = db.session.get(Affiliate, payout.affiliate_id)
    destination = affiliate.stripe_account_id if affiliate is not None else None
    if not destination:
        return _refused(payout, "the affiliate has no connected Stripe account")
    params = {
        "amount": payout.amount,
        "currency": currency().lower(),
        "destination": destination,
        "description": f"Mall affiliate payout {reference(payout)}",
        "metadata": {"affiliate_payout_id": str(payout.id), "affiliate_id": str(affiliate.id)},
    }
    try:
        made = client().v1.transfers.create(
            params=params, options={"idempotency_key": transfer_key(payout)}
        )
    except TRANSIENT as error:
        raise StripeUnavailable("Stripe did not answer: the transfer is tried again.") from error
    except (stripe.StripeError, PaymentError) as refused:
        reason = getattr(refused, "user_message", None) or str(refused)
        return _refused(payout, reason)
    return settle_paid(payout, transfer_id=made.id)


def _refused(payout: AffiliatePayout, reason: str) -> bool:
    fail_payout(
        payout, reason=f"Stripe refused the transfer: {reason}", actor_id=None, by_stripe=True
    )
    return False
