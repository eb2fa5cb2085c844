"""Account services: create users, sign in and out, verify emails, reset and change passwords.

Neither the answers nor the work done reveal whether an email is registered: a
registered and an unknown address take the same path through the request (the
same queries, the same job enqueued with one id). Services flush, never commit.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.accounts import jobs as account_jobs
from mall.accounts.models import LoginEvent, User
from mall.accounts.passwords import burn_time, check_policy, hash_password, verify_password
from mall.accounts.sessions import (
    count_sessions,
    end_all_sessions,
    end_other_sessions,
    end_session,
    start_session,
)
from mall.accounts.tokens import (
    RESET_MAX_AGE,
    RESET_SALT,
    VERIFY_MAX_AGE,
    VERIFY_SALT,
    TokenInvalid,
    fingerprint,
    make_token,
    read_token,
)
from mall.db import new_id, utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.signals import account_email_changed
from tenants.keys import normalise_email


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


class EmailTaken(AccountError):
    """The address belongs to another account (only said where that is not a leak)."""


def find_user_by_email(email: str) -> User | None:
    """The account with this email (case-insensitive, through the blind index)."""
    if not email or "@" not in email:
        return None
    return db.session.scalar(sa.select(User).where(User.email_index == User.email.lookup(email)))


def get_user(user_id: UUID | str) -> User | None:
    """The account with this id, or None."""
    try:
        return db.session.get(User, user_id if isinstance(user_id, UUID) else UUID(str(user_id)))
    except ValueError:
        return None


def create_user(
    email: str,
    password: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    verified: bool = False,
    operator: bool = False,
) -> User:
    """Create an account; raises EmailTaken or WeakPassword."""
    email = email.strip()
    if find_user_by_email(email) is not None:
        raise EmailTaken("An account with this email already exists.")
    check_policy(password)
    user = User(password_hash=hash_password(password), is_operator=operator)
    user.email = email
    user.name = (name or "").strip() or None
    user.phone = (phone or "").strip() or None
    if verified:
        user.email_verified_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def register(email: str, password: str, *, name: str) -> User | None:
    """Sign-up: a new unverified account, and an email to the address either way.

    The password rules come first, for every address. For an address that already
    has an account nothing is created and None is returned, and its owner is told
    (or, not yet confirmed, sent a new link): the page, the job and the time taken
    are the same in both cases (no account enumeration).
    """
    check_policy(password)
    user = find_user_by_email(email)
    created = None
    if user is None:
        try:
            with db.session.begin_nested():
                user = created = create_user(email, password, name=name)
        except (EmailTaken, IntegrityError):
            # A simultaneous sign-up for the same address got there first (its commit
            # landed, or it holds the unique index): answer as for a taken address.
            user = find_user_by_email(email)
            if user is None:
                raise
    else:
        burn_time(password)  # as long as hashing the new account's password
    enqueue_after_commit(account_jobs.send_registration_email, user.id)
    return created


def send_verification(user: User) -> None:
    """Email a verification link (for the pending address if one is waiting)."""
    enqueue_after_commit(account_jobs.send_verification_email, user.id)


def verification_token(user: User) -> str:
    """A link token that verifies the address the user has (or is changing to) now."""
    address = user.pending_email or user.email
    return make_token(VERIFY_SALT, {"u": str(user.id), "f": fingerprint(normalise_email(address))})


def verify_email(token: str) -> User:
    """Mark the address in the token verified (switching to a pending address).

    A switch announces ``account_email_changed`` (newsletters follow the new address).
    """
    payload = read_token(VERIFY_SALT, token, VERIFY_MAX_AGE)
    user = get_user(payload.get("u", ""))
    if user is None:
        raise TokenInvalid("This link is not valid. Please ask for a new one.")
    first_confirmation = user.email_verified_at is None
    pending = user.pending_email
    old_email = None
    if pending and payload.get("f") == fingerprint(normalise_email(pending)):
        if find_user_by_email(pending) not in (None, user):
            raise AccountError("That email now belongs to another account.")
        old_email = user.email
        user.email = pending
        user.pending_email = None
        user.email_verified_at = utcnow()
    elif payload.get("f") == fingerprint(normalise_email(user.email)):
        user.email_verified_at = user.email_verified_at or utcnow()
    else:
        raise TokenInvalid("This link is for an address that is no longer on the account.")
    db.session.flush()
    if old_email is not None and normalise_email(old_email) != normalise_email(user.email):
        account_email_changed.send(user, old_email=old_email)
    if first_confirmation:  # the sign-up is complete: the welcome email (sent once)
        enqueue_after_commit(account_jobs.send_welcome_email, user.id)
    return user


def authenticate(email: str, password: str, *, ip_address: str | None) -> User | None:
    """The account if the password matches; records the attempt (IP sealed)."""
    user = find_user_by_email(email)
    if user is None:
        burn_time(password)
        return None
    succeeded = verify_password(password, user.password_hash)
    event = LoginEvent(user_id=user.id, succeeded=succeeded)
    event.ip_address = ip_address
    db.session.add(event)
    if succeeded:
        user.last_login_at = utcnow()
    db.session.flush()
    return user if succeeded else None


def sign_in(email: str, password: str, *, ip_address: str | None, remember: bool) -> User | None:
    """Check the password (the attempt is recorded either way); None when it is wrong.

    A confirmed account gets a new device session (``user.get_id()`` names it); an
    unconfirmed one gets a new verification link instead, and no session.
    """
    user = authenticate(email, password, ip_address=ip_address)
    if user is None:
        return None
    if user.is_verified:
        start_session(user, remember=remember)
    else:
        send_verification(user)
    return user


def sign_out(user: User, *, everywhere: bool = False) -> None:
    """End this device's session on the server, or every session of the account."""
    if everywhere:
        end_all_sessions(user)
    else:
        end_session(user)


def signed_in_devices(user: User) -> int:
    """On how many devices ``user`` (signed in on this one) is signed in."""
    return count_sessions(user)


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists; the same answer and work either way.

    An unknown address enqueues the same job with an id that matches no account
    (the job renders the email and drops it), so the request cannot be told apart.
    """
    user = find_user_by_email(email)
    enqueue_after_commit(account_jobs.send_password_reset_email, user.id if user else new_id())


def reset_token(user: User) -> str:
    """A reset link token, valid until the password changes (single use)."""
    return make_token(RESET_SALT, {"u": str(user.id), "f": fingerprint(user.password_hash)})


def user_for_reset_token(token: str) -> User:
    """The account a reset link is for, if the link is still good."""
    payload = read_token(RESET_SALT, token, RESET_MAX_AGE)
    user = get_user(payload.get("u", ""))
    if user is None or payload.get("f") != fingerprint(user.password_hash):
        raise TokenInvalid("This link was already used or is no longer valid.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link and every session end."""
    user = user_for_reset_token(token)
    set_password(user, new_password, keep_this_device=False)
    # Following the emailed link proves the address too.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.flush()
    return user


def set_password(user: User, new_password: str, *, keep_this_device: bool) -> None:
    """Change the password and end the account's sessions (but this device's, if kept)."""
    check_policy(new_password)
    user.password_hash = hash_password(new_password)
    if keep_this_device:
        end_other_sessions(user)
    else:
        end_all_sessions(user)
    db.session.flush()


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Change the password after re-authentication; other devices are signed out."""
    if not verify_password(current_password, user.password_hash):
        raise AccountError("Your current password is not correct.")
    set_password(user, new_password, keep_this_device=True)


def change_email(user: User, *, password: str, new_email: str) -> None:
    """Ask to change the address: it switches once the new address is verified."""
    if not verify_password(password, user.password_hash):
        raise AccountError("Your password is not correct.")
    new_email = new_email.strip()
    if normalise_email(new_email) == normalise_email(user.email):
        raise AccountError("That is already your email address.")
    if find_user_by_email(new_email) is not None:
        burn_time(password)  # same answer as for a free address: check your inbox
    user.pending_email = new_email
    db.session.flush()
    send_verification(user)


def update_profile(user: User, *, name: str | None, phone: str | None) -> None:
    """Change the name and phone number."""
    user.name = (name or "").strip() or None
    user.phone = (phone or "").strip() or None
    db.session.flush()
