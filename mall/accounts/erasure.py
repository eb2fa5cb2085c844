"""Account deletion: the customer deletes their account, and their personal data goes at once.

Deleted at once: the account row (email, its blind index, name, phone, password
hash), its saved addresses, device sessions, sign-in events, cart, data exports
(files too), messages to the operator, newsletter subscriptions (the mall's, by
account or address; the shops', by account), and the platform's copy of what it
typed at checkout; other domains delete what they hold through ``add_erasure_step``.
The browser is signed out by the view.

Kept: each shop's own copy of the orders (number, lines, amounts, the sealed email
and addresses the shop needs for its tax records), now without any link to the
account; ``mall.accounts.retention`` anonymises them after the retention period.
The ledger is never touched: amounts stay.

SQLite connections run with ``secure_delete`` so the freed space of the file is
zeroed: a copy of the file holds neither the email's ciphertext nor its index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app

from mall.accounts.export import PrivacyError, delete_exports_of
from mall.accounts.models import DeviceSession, LoginEvent, OperatorMessage, SavedAddress, User
from mall.accounts.passwords import verify_password
from mall.accounts.tokens import TokenInvalid, make_token, read_token
from mall.cart.models import Cart
from mall.checkout.models import Checkout, CheckoutStatus
from mall.delivery.models import DownloadGrant
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from mall.shops.models import Membership
from tenants.context import all_tenants

STEPS_KEY = "mall.privacy.erasure_steps"
ErasureStep = Callable[[User], None]

# A checkout in one of these states still waits for its payment: its orders are not settled.
IN_PROGRESS = (CheckoutStatus.SUBMITTED, CheckoutStatus.AWAITING)
FORM_KEY_SALT = "mall.accounts.delete-account-form"
FORM_KEY_MAX_AGE = 24 * 3600


class AlreadyErased(PrivacyError):
    """The account went meanwhile (the same form sent twice at once): nothing more to do."""


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_secure_delete(dbapi_connection: object, connection_record: object) -> None:
    """SQLite zeroes what it frees (deleted and rewritten rows), so the file keeps no old copy
    of a deleted account, however long ago that copy was freed. (Belongs in ``mall.db`` with
    the other connection settings; here until the lead moves it.)"""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA secure_delete = ON")


def add_erasure_step(app: Flask, func: ErasureStep) -> None:
    """Run ``func(user)`` when an account is deleted, before the account row goes (flush only)."""
    steps = app.extensions.setdefault(STEPS_KEY, [])
    if func not in steps:
        steps.append(func)


def deletion_form_key(user: User) -> str:
    """The delete form's key: the account's id, signed. The session (and its CSRF token)
    goes with the account, so a second press of the form is recognised by this key."""
    return make_token(FORM_KEY_SALT, {"u": user.id.hex})


def erased_by_form(key: str | None) -> bool:
    """True when ``key`` is a delete form's key whose account no longer exists: the form was
    sent before (a double click, a retry) and the account is deleted."""
    try:
        payload = read_token(FORM_KEY_SALT, key or "", FORM_KEY_MAX_AGE)
        user_id = UUID(hex=str(payload.get("u") if isinstance(payload, dict) else None))
    except (TokenInvalid, ValueError):
        return False
    return db.session.get(User, user_id) is None


def unpaid_checkouts(user: User) -> list[Checkout]:
    """The account's checkouts still waiting for their payment (they block the deletion)."""
    return list(
        db.session.scalars(
            sa.select(Checkout)
            .where(Checkout.user_id == user.id, Checkout.status.in_(IN_PROGRESS))
            .order_by(Checkout.submitted_at, Checkout.id)
        )
    )


def unpaid_orders(user: User) -> list[tuple[Checkout, list[Order]]]:
    """The account's unpaid checkouts with every shop's order of each (what the page offers
    to cancel)."""
    return [(checkout, orders_of_checkout(checkout.id)) for checkout in unpaid_checkouts(user)]


def erasure_blocker(user: User) -> str | None:
    """Why this account cannot be deleted here now, or None."""
    if user.is_operator:
        return "An operator's account is removed by another operator, not from this page."
    member = db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.user_id == user.id)
    )
    if member:
        return (
            "You are on the team of a shop. Hand the shop over or leave its team first, "
            "then delete your account."
        )
    if unpaid_checkouts(user):
        return (
            "A payment of yours is still in progress. Please try again once it is complete "
            "or cancel the unpaid order."
        )
    return None


def erase_account(user: User, *, password: str) -> None:
    """Delete the account and the personal data the platform holds about its owner, now.

    The password confirms it. The shops' order copies stay, unlinked from the account.
    """
    if not verify_password(password or "", user.password_hash):
        raise PrivacyError("Your password is not correct.")
    # The same form sent twice at once: the second waits here for the first, then finds the
    # account gone (SQLite's BEGIN IMMEDIATE already serialises whole transactions).
    locked = db.session.scalar(sa.select(User.id).where(User.id == user.id).with_for_update())
    if locked is None:
        raise AlreadyErased("Your account is deleted.")
    blocker = erasure_blocker(user)
    if blocker:
        raise PrivacyError(blocker)
    for step in current_app.extensions.get(STEPS_KEY, []):
        step(user)
    delete_exports_of(user)
    db.session.execute(
        sa.update(Checkout)
        .where(Checkout.user_id == user.id)
        .values(
            user_id=None,
            email_ct=None,
            email_index=None,
            shipping_address_ct=None,
            billing_address_ct=None,
        )
        .execution_options(synchronize_session=False)
    )
    with all_tenants("account deletion: unlink the account from its orders and downloads"):
        for model in (Order, DownloadGrant):
            db.session.execute(
                sa.update(model)
                .where(model.user_id == user.id)
                .values(user_id=None)
                .execution_options(synchronize_session=False)
            )
    for model in (LoginEvent, DeviceSession, SavedAddress, OperatorMessage, Cart):
        db.session.execute(
            sa.delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
    db.session.delete(user)
    db.session.flush()
