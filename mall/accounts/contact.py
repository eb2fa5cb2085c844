"""The secure contact form to the platform's operator, and the operator's inbox.

A message is stored only sealed under the platform's key (sender, subject,
body); it never travels by email: the operators get a note that a message is
waiting, with a link to the console's inbox. The form carries a one-time token:
the same form sent twice (a double click, a reload) stores one message.
Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.accounts import jobs as account_jobs
from mall.accounts.models import OperatorMessage
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.pagination import KeysetPage, Position, keyset_paginate

MAX_SUBJECT = 150
MAX_BODY = 5000


class ContactError(ValueError):
    """A message that cannot be sent or handled; the message says why."""


@dataclass(frozen=True)
class Sender:
    """Who wrote: the name and email they gave (sealed in the message)."""

    name: str
    email: str


def new_submission_token() -> str:
    """The one-time token a contact form carries (random; not personal)."""
    return secrets.token_urlsafe(24)


def _digest(submission: str) -> bytes:
    return hashlib.sha256(submission.encode()).digest()


def send_contact_message(
    submission: str,
    *,
    sender: Sender,
    subject: str,
    body: str,
    user_id: UUID | None = None,
) -> tuple[OperatorMessage, bool]:
    """Store a message to the operator (sealed) and tell the operators one is waiting.

    Returns the message and whether it is new: the same ``submission`` token again
    returns the first message and sends nothing.
    """
    subject, body = subject.strip(), body.strip()
    if not submission or len(submission) > 100:
        raise ContactError("This form has expired. Please reload the page and send it again.")
    if not body:
        raise ContactError("Write your message.")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ContactError(
            f"Use at most {MAX_SUBJECT} characters for the subject and {MAX_BODY} for the message."
        )
    digest = _digest(submission)
    existing = db.session.scalar(
        sa.select(OperatorMessage).where(OperatorMessage.submission_digest == digest)
    )
    if existing is not None:
        return existing, False
    message = OperatorMessage(user_id=user_id, submission_digest=digest)
    message.sender_json = json.dumps({"name": sender.name.strip(), "email": sender.email.strip()})
    message.subject = subject or "(no subject)"
    message.body = body
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # the same form sent at the same moment: the other one stored it
        existing = db.session.scalar(
            sa.select(OperatorMessage).where(OperatorMessage.submission_digest == digest)
        )
        if existing is None:
            raise
        return existing, False
    enqueue_after_commit(account_jobs.send_message_waiting_email, message.id)
    return message, True


def sender_of(message: OperatorMessage) -> Sender:
    """The sender's name and email, unsealed (for the operator's inbox)."""
    data = json.loads(message.sender_json or "{}")
    return Sender(name=str(data.get("name", "")), email=str(data.get("email", "")))


def inbox(
    *,
    handled: bool = False,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """Messages waiting (or, ``handled``, dealt with), newest first: three queries a page."""
    query = sa.select(OperatorMessage).where(
        OperatorMessage.handled_at.is_not(None) if handled else OperatorMessage.handled_at.is_(None)
    )
    return keyset_paginate(
        query,
        moment=OperatorMessage.created_at,
        row_id=OperatorMessage.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )


def waiting_count() -> int:
    """How many messages wait for the operator."""
    return (
        db.session.scalar(sa.select(sa.func.count()).where(OperatorMessage.handled_at.is_(None)))
        or 0
    )


def get_message(message_id: UUID) -> OperatorMessage | None:
    """One message by id, or None."""
    return db.session.get(OperatorMessage, message_id)


def mark_handled(message: OperatorMessage, *, operator_id: UUID) -> bool:
    """Mark a message handled; False when it already was (a repeated click changes nothing)."""
    done = db.session.execute(
        sa.update(OperatorMessage)
        .where(OperatorMessage.id == message.id, OperatorMessage.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by_id=operator_id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(message)
    return bool(done.rowcount)
