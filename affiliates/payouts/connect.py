"""Affiliates' Stripe accounts: Stripe Connect Express onboarding with Account Links, and
what Stripe says about the account.

"Connect a Stripe account" makes the affiliate's Express account once (idempotency key
``mall-affiliate-<id>-account``; Stripe gets the affiliate id as metadata and nothing that
identifies the person: they type their details on Stripe's pages), stores its id, and
sends the person to a fresh onboarding link. Links are single-use and expire within
minutes: Stripe sends the person to ``refresh_url`` for a new one, and to ``return_url``
when they leave, where Mall asks Stripe for the account (``GET /v1/accounts/<id>``).

Mall keeps whether the "transfers" capability is active, whether the details were
submitted, Stripe's ``requirements.currently_due`` (field names, never values) and when
it last heard. ``account.updated`` events on the Connect webhook keep that fresh
(``account_updated``, registered with ``mall.ledger.connect.add_account_listener``); an
event older than the last sync is ignored. Payouts go by Stripe only while transfers are
active (``queries.method_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import stripe
from flask import current_app

from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus, PayoutMethod
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.connect import is_stale
from mall.payments.errors import PaymentError
from mall.payments.providers.stripe import client
from tenants.audit import record_audit

ONBOARDING_ORIGIN = "https://connect.stripe.com"  # where Account Links lead
REQUIREMENTS_MAX = 50
UNAVAILABLE = "Stripe is not answering at the moment: please try again in a minute."
# Stripe's requirement names the affiliate is most likely to meet, in words; others are
# shown as Stripe names them, made readable.
NEEDS = {
    "external_account": "a bank account for payouts",
    "tos_acceptance.date": "accepting Stripe's terms",
    "tos_acceptance.ip": "accepting Stripe's terms",
    "business_type": "the kind of business",
    "business_profile.url": "your website",
    "business_profile.mcc": "what your business does",
    "individual.verification.document": "an identity document",
    "individual.id_number": "an identity number",
    "individual.ssn_last_4": "the last 4 digits of your SSN",
}


class OnboardingLinkFailed(AffiliateError):
    """The account is stored but Stripe gave no onboarding link: keep the account, try again."""


def account_key(affiliate: Affiliate) -> str:
    """The idempotency key of the affiliate's account: one account whatever the clicks."""
    return f"mall-affiliate-{affiliate.id.hex}-account"


def onboarding_origin() -> str:
    """The origin onboarding links lead to (the stub's in tests), which the affiliate's page
    must allow as a form target: browsers check ``form-action`` on redirects too."""
    base = current_app.config.get("STRIPE_API_BASE")
    if base:
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}"
    return ONBOARDING_ORIGIN


def _refused(error: Exception) -> AffiliateError:
    if isinstance(error, PaymentError):
        return AffiliateError("Stripe payouts are not available at the moment.")
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return AffiliateError(UNAVAILABLE)
    # The code only: Stripe's message may echo what was sent.
    current_app.logger.warning("stripe onboarding refused: %s", getattr(error, "code", None))
    return AffiliateError(
        "Stripe could not set up your account just now: please try again in a few minutes."
    )


def start_onboarding(
    affiliate: Affiliate,
    *,
    refresh_url: str,
    return_url: str,
    ip_address: str | None = None,
) -> str:
    """The URL of a fresh Stripe onboarding link for the affiliate's Express account, which is
    made (and audited) the first time only; a second click gets a new link to the same account.

    Raises AffiliateError when the affiliate may not connect one or Stripe refused, and
    ``OnboardingLinkFailed`` (the account is stored: commit) when only the link failed.
    """
    if affiliate.user_id is None or affiliate.status is not AffiliateStatus.APPROVED:
        raise AffiliateError("Once your application is approved, you can connect Stripe.")
    if not affiliate.stripe_account_id:
        _create_account(affiliate, ip_address=ip_address)
    try:
        link = client().v1.account_links.create(
            params={
                "account": affiliate.stripe_account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except (stripe.StripeError, PaymentError) as error:
        raise OnboardingLinkFailed(str(_refused(error))) from error
    return str(link.url)


def _create_account(affiliate: Affiliate, *, ip_address: str | None) -> None:
    params: dict[str, Any] = {
        "type": "express",
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"affiliate_id": str(affiliate.id)},
    }
    try:
        made = client().v1.accounts.create(
            params=params, options={"idempotency_key": account_key(affiliate)}
        )
    except (stripe.StripeError, PaymentError) as error:
        raise _refused(error) from error
    # A double click that raced this one stored the same account (same key): one row wins.
    stored = db.session.execute(
        sa.update(Affiliate)
        .where(Affiliate.id == affiliate.id, Affiliate.stripe_account_id.is_(None))
        .values(
            stripe_account_id=made.id,
            payout_method=PayoutMethod.STRIPE,
            stripe_transfers_active=False,
            stripe_details_submitted=False,
            stripe_requirements=[],
            stripe_synced_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(affiliate)
    if stored:
        record_audit(
            "affiliate.stripe_connected",
            actor_id=affiliate.user_id,
            target_type="affiliate",
            target_id=affiliate.id,
            details={"stripe_account_id": made.id},
            ip_address=ip_address,
        )


def apply_stripe_account(affiliate: Affiliate, remote: dict[str, Any], *, at: datetime) -> None:
    """Store what Stripe says about the affiliate's account (an account object as a dict)."""
    capabilities = remote.get("capabilities") or {}
    requirements = remote.get("requirements") or {}
    due = requirements.get("currently_due") or []
    affiliate.stripe_transfers_active = capabilities.get("transfers") == "active"
    affiliate.stripe_details_submitted = bool(remote.get("details_submitted"))
    affiliate.stripe_requirements = [str(item)[:200] for item in due[:REQUIREMENTS_MAX]]
    affiliate.stripe_synced_at = at
    db.session.flush()


def sync_stripe_account(affiliate: Affiliate) -> bool:
    """Ask Stripe for the affiliate's account and store its state; False when there is none or
    Stripe did not answer. An account Stripe does not know can receive nothing."""
    if not affiliate.stripe_account_id:
        return False
    try:
        remote = client().v1.accounts.retrieve(affiliate.stripe_account_id)
    except stripe.InvalidRequestError as refused:
        if refused.code != "resource_missing":
            current_app.logger.warning("stripe account sync refused: %s", refused.code)
            return False
        apply_stripe_account(affiliate, {}, at=utcnow())
        return True
    except (stripe.StripeError, PaymentError):
        return False
    apply_stripe_account(affiliate, remote.to_dict(), at=utcnow())
    return True


def account_updated(remote: dict[str, Any], created: datetime) -> str | None:
    """The Connect webhook's ``account.updated`` for an affiliate's account (None: not one)."""
    account_id = remote.get("id")
    if not account_id:
        return None
    affiliate = db.session.scalar(
        sa.select(Affiliate).where(Affiliate.stripe_account_id == str(account_id))
    )
    if affiliate is None:
        return None
    if is_stale(created, affiliate.stripe_synced_at):
        return "stale"
    apply_stripe_account(affiliate, remote, at=created)
    return "applied"


# ---------------------------------------------------------------- what the page says


def need_text(name: str) -> str:
    """One of Stripe's requirement names in words."""
    if name in NEEDS:
        return NEEDS[name]
    return name.rsplit(".", 1)[-1].replace("_", " ")


def needs_text(names: list[str]) -> str:
    """What Stripe still needs, in words, each once, in Stripe's order."""
    words: list[str] = []
    for name in names:
        text = need_text(str(name))
        if text not in words:
            words.append(text)
    return ", ".join(words)


def waiting_reason(affiliate: Affiliate) -> str:
    """Why a connected account cannot receive transfers yet, in the affiliate's words."""
    if affiliate.stripe_requirements:
        return f"Stripe still needs: {needs_text(affiliate.stripe_requirements)}"
    if affiliate.stripe_synced_at is None:
        return "Stripe has not told us about the account yet"
    return "Stripe has not enabled transfers to the account yet"


@dataclass(frozen=True)
class StripeStatus:
    """The affiliate's Stripe account as their page shows it."""

    connected: bool
    active: bool
    needs: str  # what Stripe still needs, in words ("" for nothing)
    waiting: str  # why transfers cannot be sent yet ("" when they can)


def stripe_status(affiliate: Affiliate) -> StripeStatus:
    """Connected or not, transfers active or not, and what Stripe still needs."""
    if not affiliate.stripe_account_id:
        return StripeStatus(connected=False, active=False, needs="", waiting="")
    active = affiliate.stripe_transfers_active
    return StripeStatus(
        connected=True,
        active=active,
        needs=needs_text(affiliate.stripe_requirements or []),
        waiting="" if active else waiting_reason(affiliate),
    )
