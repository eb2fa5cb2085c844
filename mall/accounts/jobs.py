"""Account emails, sent by jobs that receive only the user's id."""

from __future__ import annotations

from flask import current_app

from mall.accounts.models import User
from mall.accounts.tokens import RESET_MAX_AGE, RESET_SALT, fingerprint, make_token
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.urls import external_url

NOBODY = "nobody@example.invalid"  # the recipient of emails rendered only to be dropped


@job(queue="mail")
def send_verification_email(user_id: str) -> None:
    """Send the link that verifies the account's (new) address."""
    from mall.accounts.services import verification_token

    user = db.session.get(User, _uuid(user_id))
    if user is None:
        return
    to = user.pending_email or user.email
    message = render_message(
        "verify_email",
        to=to,
        subject=f"Confirm your email for {current_app.config['MALL_NAME']}",
        name=user.name or "there",
        verify_url=external_url("accounts.verify", token=verification_token(user)),
    )
    deliver(message)


@job(queue="mail")
def send_registration_email(user_id: str) -> None:
    """After a sign-up: the verification link, or, for a confirmed account, a note that it
    exists with the way in (someone, maybe its owner, tried to register the address again)."""
    user = db.session.get(User, _uuid(user_id))
    if user is None:
        return
    if not user.is_verified:
        send_verification_email(user_id)
        return
    message = render_message(
        "account_exists",
        to=user.email,
        subject=f"You already have a {current_app.config['MALL_NAME']} account",
        name=user.name or "there",
        login_url=external_url("accounts.login"),
        forgot_url=external_url("accounts.forgot"),
    )
    deliver(message)


@job(queue="mail")
def send_password_reset_email(user_id: str) -> None:
    """Send a single-use password reset link.

    A reset asked for an unknown address comes with an id that matches no account:
    the email is rendered all the same, then dropped, so both take as long.
    """
    from mall.accounts.services import reset_token

    user = db.session.get(User, _uuid(user_id))
    if user is None:
        token = make_token(RESET_SALT, {"u": user_id, "f": fingerprint(None)})
    else:
        token = reset_token(user)
    message = render_message(
        "reset_password",
        to=user.email if user else NOBODY,
        subject=f"Reset your {current_app.config['MALL_NAME']} password",
        name=(user.name if user else None) or "there",
        reset_url=external_url("accounts.reset_password", token=token),
        expires_hours=RESET_MAX_AGE // 3600,
    )
    if user is not None:
        deliver(message)


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


@job(queue="maintenance", retries=0)
def prune_device_sessions() -> int:
    """Delete expired device sessions (daily); returns how many went."""
    from mall.accounts.sessions import prune_expired_sessions

    return prune_expired_sessions()
