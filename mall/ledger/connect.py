"""Shops' Stripe Connect accounts: which one a shop is paid on, and whether it can be paid.

A shop types its Connect account id (``acct_…``) in its payout settings; without
one it is paid by manual payout batches. What Stripe says about the account is
stored on ``payout_accounts``: whether transfers may be sent to it (the
``transfers`` capability is ``active``), whether it can pay out to its bank,
what Stripe still needs (``requirements.currently_due``) and why it is disabled.
Two ways keep that fresh:

- ``account.updated`` events on a Connect webhook of their own
  (``/payouts/stripe/connect-webhook``, signed with
  ``STRIPE_CONNECT_WEBHOOK_SECRET``; stored once through payments'
  ``record_event``); an event older than the last sync is ignored;
- polling (``sync_accounts``, a periodic job; ``GET /v1/accounts/<id>``).

``payout_state`` turns that, and the operator's hold, into how the shop is paid
now: by Stripe, manually, or not at all ("payable — blocked" / "held") with the
reasons in words the shop can act on.

Higher layers connect accounts of their own (affiliates' Express accounts) and hear
about them on the same webhook through ``add_account_listener``: the ledger does not
know them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import stripe
from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import csrf, db
from mall.jobs import enqueue_after_commit
from mall.ledger import jobs
from mall.ledger.errors import LedgerError
from mall.ledger.models import PayoutAccount
from mall.payments.errors import PaymentError
from mall.payments.providers.stripe import client
from mall.payments.settlement import record_event
from tenants.audit import record_audit
from tenants.models import Tenant

PROVIDER = "stripe_connect"  # payment_events.provider of the Connect webhook's events
ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{6,100}$")
SYNC_BATCH = 100
LISTENERS_KEY = "mall.ledger.connect_account_listeners"

# Stores an ``account.updated`` for an account its layer connected: (account object as a
# plain dict, when Stripe made the event) -> what it did in a word, or None: not its account.
AccountListener = Callable[[dict[str, Any], datetime], str | None]


class Route(StrEnum):
    """How a shop is paid now."""

    STRIPE = "stripe"  # transfers to its Connect account
    MANUAL = "manual"  # in a batch the operator pays from the bank
    BLOCKED = "blocked"  # a Connect account that cannot receive transfers
    HELD = "held"  # the operator holds its payouts


@dataclass(frozen=True)
class PayoutState:
    """How the shop is paid, and (blocked or held) what stands in the way."""

    route: Route
    reasons: list[str] = field(default_factory=list)

    @property
    def payable(self) -> bool:
        return self.route in (Route.STRIPE, Route.MANUAL)

    @property
    def label(self) -> str:
        return {
            Route.STRIPE: "Stripe transfers",
            Route.MANUAL: "manual payout",
            Route.BLOCKED: "payable — blocked",
            Route.HELD: "held by the mall",
        }[self.route]


def payout_state(account: PayoutAccount | None) -> PayoutState:
    """How a shop with this payout account (None: never set up) is paid now, and why not."""
    if account is not None and account.payouts_held:
        return PayoutState(Route.HELD, [account.hold_reason or "The mall holds your payouts."])
    if account is None or not account.stripe_account_id:
        return PayoutState(Route.MANUAL)
    reasons = blocked_reasons(account)
    return PayoutState(Route.BLOCKED, reasons) if reasons else PayoutState(Route.STRIPE)


def blocked_reasons(account: PayoutAccount) -> list[str]:
    """What the shop must do before its Connect account can receive transfers (empty: nothing)."""
    reasons = []
    if account.synced_at is None:
        reasons.append("Mall has not heard from Stripe about this account yet.")
    elif not account.transfers_enabled:
        reasons.append("Stripe has not enabled transfers to this account yet.")
    if account.disabled_reason:
        reasons.append(f"Stripe disabled the account: {account.disabled_reason}.")
    if account.requirements:
        needs = ", ".join(str(item) for item in account.requirements[:10])
        reasons.append(f"Stripe needs from you: {needs}. Complete them in your Stripe dashboard.")
    return reasons


def account_of(shop_id: UUID) -> PayoutAccount | None:
    """The shop's payout account (platform table), if it has one."""
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.shop_id == shop_id))


def ensure_account(shop_id: UUID) -> PayoutAccount:
    """The shop's payout account, made when it has none (two makers meet on one row)."""
    account = account_of(shop_id)
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = PayoutAccount(shop_id=shop_id)
            db.session.add(account)
            db.session.flush()
    except IntegrityError:
        account = account_of(shop_id)
        if account is None:
            raise
    return account


# ---------------------------------------------------------------- the shop's setting


def set_stripe_account(
    shop: Tenant,
    *,
    account_id: str | None,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Connect the shop to a Stripe account (None: be paid manually); False when unchanged.

    The account's state is forgotten and asked of Stripe after the commit (a job).
    Raises LedgerError for a malformed id or one another shop uses.
    """
    wanted = (account_id or "").strip() or None
    if wanted is not None and not ACCOUNT_ID.match(wanted):
        raise LedgerError("A Stripe account id looks like acct_1AbCdEfGhIjKlMnO.")
    account = ensure_account(shop.id)
    if account.stripe_account_id == wanted:
        return False
    taken = db.session.scalar(
        sa.select(PayoutAccount.id).where(
            PayoutAccount.stripe_account_id == wanted, PayoutAccount.shop_id != shop.id
        )
    )
    if wanted is not None and taken is not None:
        raise LedgerError("That Stripe account is connected to another shop.")
    before = account.stripe_account_id
    account.stripe_account_id = wanted
    _forget_state(account)
    db.session.flush()
    record_audit(
        "payouts.connect_account",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="shop",
        target_id=shop.id,
        details={"before": before, "after": wanted},
    )
    if wanted is not None:
        enqueue_after_commit(jobs.sync_connect_account, str(account.id))
    return True


def _forget_state(account: PayoutAccount) -> None:
    account.transfers_enabled = False
    account.payouts_enabled = False
    account.details_submitted = False
    account.requirements = []
    account.disabled_reason = ""
    account.synced_at = None


def request_sync(shop: Tenant) -> bool:
    """Ask Stripe for the shop's account state after the commit; False without an account."""
    account = account_of(shop.id)
    if account is None or not account.stripe_account_id:
        return False
    enqueue_after_commit(jobs.sync_connect_account, str(account.id))
    return True


# ---------------------------------------------------------------- Stripe's side


def apply_account(account: PayoutAccount, remote: dict[str, Any], *, at: datetime) -> None:
    """Store what Stripe says about the account (an account object as a plain dict)."""
    capabilities = remote.get("capabilities") or {}
    requirements = remote.get("requirements") or {}
    account.transfers_enabled = capabilities.get("transfers") == "active"
    account.payouts_enabled = bool(remote.get("payouts_enabled"))
    account.details_submitted = bool(remote.get("details_submitted"))
    account.requirements = [str(item)[:200] for item in requirements.get("currently_due") or []]
    account.disabled_reason = str(requirements.get("disabled_reason") or "")[:255]
    account.synced_at = at
    db.session.flush()


def sync_account(account: PayoutAccount) -> bool:
    """Retrieve the account from Stripe and store its state; False when Stripe did not answer.

    An account Stripe does not know is stored as disabled, with that reason.
    """
    if not account.stripe_account_id:
        return False
    try:
        remote = client().v1.accounts.retrieve(account.stripe_account_id)
    except PaymentError:
        return False  # Stripe is not configured here
    except stripe.InvalidRequestError as refused:
        if refused.code != "resource_missing":
            raise
        apply_account(
            account,
            {"requirements": {"disabled_reason": "Stripe does not know this account"}},
            at=utcnow(),
        )
        return True
    apply_account(account, remote.to_dict(), at=utcnow())
    return True


def sync_accounts(*, limit: int = SYNC_BATCH) -> int:
    """Poll Stripe for the connected accounts heard from longest ago; how many were updated."""
    rows = db.session.scalars(
        sa.select(PayoutAccount)
        .where(PayoutAccount.stripe_account_id.is_not(None))
        .order_by(PayoutAccount.synced_at.asc().nulls_first(), PayoutAccount.id)
        .limit(limit)
    ).all()
    synced = 0
    for account in rows:
        try:
            synced += sync_account(account)
        except stripe.StripeError as error:  # one account's trouble does not stop the rest
            current_app.logger.warning("connect account sync failed: %s", error.code)
    return synced


# ---------------------------------------------------------------- the Connect webhook


def construct_connect_event(payload: bytes, signature: str) -> Any:
    """The event, if signed with ``STRIPE_CONNECT_WEBHOOK_SECRET``; else LedgerError."""
    secret = current_app.config.get("STRIPE_CONNECT_WEBHOOK_SECRET")
    if not secret:
        raise LedgerError("The Connect webhook is not configured.")
    try:
        return stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError):
        raise LedgerError("The event's signature does not match.") from None


def add_account_listener(app: Flask, listener: AccountListener) -> None:
    """Hand ``account.updated`` events to ``listener`` too (a higher layer's own accounts)."""
    listeners = app.extensions.setdefault(LISTENERS_KEY, [])
    if listener not in listeners:
        listeners.append(listener)


def is_stale(created: datetime, synced_at: datetime | None) -> bool:
    """An event made before the last sync (Stripe's ``created`` has whole seconds: an event of
    the same second as the last sync is applied, it may be newer)."""
    return synced_at is not None and created < synced_at.replace(microsecond=0)


def account_updated(remote: dict[str, Any], created: datetime) -> str:
    """Store a connected account's new state, unless Mall has heard something newer: the
    shop's, and whatever the listeners keep of it."""
    outcomes = []
    account = db.session.scalar(
        sa.select(PayoutAccount).where(PayoutAccount.stripe_account_id == remote.get("id"))
    )
    if account is not None:
        if is_stale(created, account.synced_at):
            outcomes.append("stale")
        else:
            apply_account(account, remote, at=created)
            outcomes.append("applied")
    for listener in current_app.extensions.get(LISTENERS_KEY, []):
        outcome = listener(remote, created)
        if outcome is not None:
            outcomes.append(outcome)
    if not outcomes:
        current_app.logger.info("connect event for no known account")
        return "unknown"
    return "applied" if "applied" in outcomes else outcomes[0]


HANDLERS: dict[str, Callable[[dict[str, Any], datetime], str]] = {
    "account.updated": account_updated,
}


def handle_connect_webhook(payload: bytes, signature: str) -> str:
    """Verify, store once and apply one Connect event; what was done, in a word.

    Raises LedgerError when the signature does not verify (the view answers 400).
    """
    event = construct_connect_event(payload, signature)
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    if not record_event(PROVIDER, event.id, event.type):
        return "replayed"
    created = datetime.fromtimestamp(int(event.created or 0), UTC)
    return handler(event.data.object.to_dict(), created)


bp = Blueprint("payouts_webhook", __name__, url_prefix="/payouts")


@bp.post("/stripe/connect-webhook")
@csrf.exempt
def connect_webhook() -> ResponseReturnValue:
    """Apply one Stripe Connect event (``account.updated``), once."""
    try:
        outcome = handle_connect_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature", "")
        )
    except LedgerError as refused:
        db.session.rollback()
        return {"error": str(refused)}, 400
    db.session.commit()
    return {"received": True, "outcome": outcome}, 200
