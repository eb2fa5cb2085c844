"""Account emails, sent by jobs that receive only the user's id."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.accounts.tokens import RESET_MAX_AGE, RESET_SALT, fingerprint, make_token
from mall.db import utcnow
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


@job(queue="mail")
def send_welcome_email(user_id: str) -> None:
    """Once, after the account's address is first confirmed: what the account can do, and
    how to change or delete it. A conditional UPDATE claims the welcome, so a replayed job
    or a second confirmation sends nothing."""
    from mall.accounts.models import User as Account

    claimed = db.session.execute(
        sa.update(Account)
        .where(
            Account.id == _uuid(user_id),
            Account.welcomed_at.is_(None),
            Account.email_verified_at.is_not(None),
        )
        .values(welcomed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    user = db.session.get(User, _uuid(user_id))
    if not claimed.rowcount or user is None:
        return
    name = current_app.config["MALL_NAME"]
    message = render_message(
        "accounts/email/welcome",
        to=user.email,
        subject=f"Welcome to {name}",
        name=user.name or "there",
        account_url=external_url("accounts.account"),
        orders_url=external_url("account_orders.orders"),
        addresses_url=external_url("address_book.addresses"),
        privacy_url=external_url("pages.privacy"),
        contact_url=external_url("contact.contact"),
    )
    deliver(message)


@job(queue="mail")
def send_message_waiting_email(message_id: str) -> None:
    """Tell the operators that a contact message waits in the console's inbox.

    The email says only that: no sender, no subject, no content (those stay sealed
    in the database, read in the console).
    """
    from mall.accounts.models import OperatorMessage

    if db.session.get(OperatorMessage, _uuid(message_id)) is None:
        return
    operators = db.session.scalars(sa.select(User).where(User.is_operator.is_(True)))
    name = current_app.config["MALL_NAME"]
    for operator in operators:
        deliver(
            render_message(
                "accounts/email/message_waiting",
                to=operator.email,
                subject=f"A message is waiting in the {name} console",
                inbox_url=external_url("contact_console.inbox"),
            )
        )


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


@job(queue="maintenance", retries=0)
def prune_device_sessions() -> int:
    """Delete expired device sessions (daily); returns how many went."""
    from mall.accounts.sessions import prune_expired_sessions

    return prune_expired_sessions()


# ---------------------------------------------------------------- privacy (data export, retention)


@job(queue="default")
def build_data_export(export_id: str) -> None:
    """Build a requested data export's ZIP and email its link (ids only in the arguments)."""
    from mall.accounts.export import build_export

    build_export(_uuid(export_id))


@job(queue="mail")
def send_data_export_email(export_id: str) -> None:
    """Email the signed, expiring link of a ready export to its account."""
    from mall.accounts.export import export_token, link_hours
    from mall.accounts.models import DataExport, ExportStatus

    export = db.session.get(DataExport, _uuid(export_id))
    if export is None or export.status is not ExportStatus.READY:
        return
    user = db.session.get(User, export.user_id)
    if user is None:
        return
    message = render_message(
        "accounts/email/data_export",
        to=user.email,
        subject=f"Your {current_app.config['MALL_NAME']} data export is ready",
        name=user.name or "there",
        download_url=external_url("privacy.download_export", token=export_token(export)),
        expires_hours=link_hours(),
    )
    deliver(message)


@job(queue="maintenance", retries=0)
def delete_expired_exports() -> int:
    """Delete the files of data exports whose link expired (hourly); returns how many."""
    from mall.accounts.export import delete_expired_exports as delete_expired

    return delete_expired()


@job(queue="maintenance", retries=0)
def anonymise_old_orders() -> int:
    """Anonymise the shops' order copies past the retention period (daily); how many."""
    from mall.accounts.retention import anonymise_orders_past_retention

    return anonymise_orders_past_retention()


@job(queue="maintenance", retries=0)
def prune_personal_logs() -> int:
    """Delete sign-in events and download logs (IP addresses) past their period (daily)."""
    from mall.accounts.retention import prune_logs

    return prune_logs()
