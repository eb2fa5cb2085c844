"""Account emails, sent by jobs that receive only the user's id."""

from __future__ import annotations

from flask import current_app

from mall.accounts.models import User
from mall.accounts.tokens import RESET_MAX_AGE
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.urls import external_url


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
def send_password_reset_email(user_id: str) -> None:
    """Send a single-use password reset link."""
    from mall.accounts.services import reset_token

    user = db.session.get(User, _uuid(user_id))
    if user is None:
        return
    message = render_message(
        "reset_password",
        to=user.email,
        subject=f"Reset your {current_app.config['MALL_NAME']} password",
        name=user.name or "there",
        reset_url=external_url("accounts.reset_password", token=reset_token(user)),
        expires_hours=RESET_MAX_AGE // 3600,
    )
    deliver(message)


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)
