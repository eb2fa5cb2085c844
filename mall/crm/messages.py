"""Message threads between a shop and its customers.

A customer writes from the shop's contact page or about an order (from its
tracking page); the thread and its first message are made together and the
customer gets the signed link to it by email. Staff answer from the back office;
each new message tells the other side by email that something is waiting (the
body stays sealed here): on the shop's side, everyone who may take an
unassigned thread, else its assignee (``jobs.send_staff_notice``). Every message
carries the key of the form that sent it, unique per shop, so a double submit or a
replayed post adds nothing.

Who sees what: owners and managers (``messages.all``) every thread; staff and
sales reps the threads assigned to them and the unassigned ones
(``visible_to``). Call everything in the shop's tenant context.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.accounts.models import User
from mall.crm.customers import find_customer, find_or_add_customer, get_customer
from mall.crm.errors import CrmError
from mall.crm.jobs import send_customer_notice, send_staff_notice
from mall.crm.models import Author, CrmCustomer, CrmMessage, CrmThread, ThreadStatus
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.models import Order
from mall.pagination import KeysetPage, Position, keyset_paginate
from mall.shops.models import Membership
from mall.shops.permissions import can
from tenants.guard import scoped_get

MAX_BODY = 5000
MAX_SUBJECT = 150


@dataclass(frozen=True)
class Viewer:
    """Who looks at threads: their user id and whether they see every thread."""

    user_id: UUID
    sees_all: bool

    @classmethod
    def of(cls, membership: Membership) -> Viewer:
        """The viewer a shop membership makes (its role decides ``sees_all``)."""
        return cls(membership.user_id, can(membership.role, "messages.all"))


def get_thread(thread_id: UUID | str | None) -> CrmThread | None:
    """The thread of the shop in context with this id, or None."""
    return scoped_get(CrmThread, thread_id)


def visible_thread(thread_id: UUID | str | None, *, viewer: Viewer) -> CrmThread | None:
    """The thread with this id if ``viewer`` may see it, else None (shown as a 404)."""
    thread = get_thread(thread_id)
    if thread is None or not may_see(thread, viewer=viewer):
        return None
    return thread


def may_see(thread: CrmThread, *, viewer: Viewer) -> bool:
    """Managers see every thread; others the ones assigned to them or to nobody."""
    return viewer.sees_all or thread.assignee_id in (None, viewer.user_id)


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The SQL criterion of ``may_see``."""
    if viewer.sees_all:
        return sa.true()
    return sa.or_(CrmThread.assignee_id.is_(None), CrmThread.assignee_id == viewer.user_id)


def thread_customer(thread: CrmThread) -> CrmCustomer:
    """The customer a thread is with."""
    customer = get_customer(thread.customer_id)
    if customer is None:  # the foreign key makes this impossible
        raise CrmError("This conversation has no customer.")
    return customer


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise CrmError("Write a message.")
    if len(body) > MAX_BODY:
        raise CrmError(f"The message is too long: use at most {MAX_BODY} characters.")
    return body


def _sent_with(key: str) -> CrmMessage | None:
    return db.session.scalar(sa.select(CrmMessage).where(CrmMessage.request_key == key))


def _add_message(
    thread: CrmThread, *, author: Author, body: str, key: str, author_id: UUID | None
) -> bool:
    """Add one message; False (nothing added) when a message with ``key`` exists already."""
    if _sent_with(key) is not None:
        return False
    message = CrmMessage(thread_id=thread.id, author=author, author_id=author_id, request_key=key)
    message.tenant_id = thread.tenant_id
    message.body = body
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return False  # the same form, sent twice at once: the other request added it
    thread.last_message_at = message.created_at
    return True


def start_thread(
    email: str,
    *,
    body: str,
    key: str,
    subject: str = "",
    name: str | None = None,
    order: Order | None = None,
    user_id: UUID | None = None,
) -> tuple[CrmThread, bool]:
    """A customer writes to the shop: (the thread, made now?).

    The customer row is added or found (its last message time set), the thread
    opened with the first message, the customer emailed the link to it and the
    shop's staff told, all after commit. The same ``key`` again returns the
    thread it made and does nothing more.
    """
    body = _check_body(body)
    subject = (subject or "").strip()
    if len(subject) > MAX_SUBJECT:
        raise CrmError(f"The subject is too long: use at most {MAX_SUBJECT} characters.")
    earlier = _sent_with(key)
    if earlier is not None:
        thread = get_thread(earlier.thread_id)
        mine = find_customer(email)
        if thread is None or mine is None or thread.customer_id != mine.id:
            # A key is the form's; never hand out another person's thread for it.
            raise CrmError("This form was already used: reload the page and try again.")
        return thread, False
    if order is not None and not subject:
        subject = f"Order {order.number}"
    customer = find_or_add_customer(email, name=name)
    now = utcnow()
    customer.last_message_at = customer.last_seen_at = now
    thread = CrmThread(
        customer_id=customer.id,
        order_id=order.id if order is not None else None,
        user_id=user_id,
        status=ThreadStatus.OPEN,
        created_at=now,
        last_message_at=now,
    )
    thread.tenant_id = customer.tenant_id
    thread.subject = subject or "Message"
    db.session.add(thread)
    db.session.flush()
    if not _add_message(thread, author=Author.CUSTOMER, body=body, key=key, author_id=user_id):
        raise CrmError("This message was already sent.")
    db.session.flush()
    enqueue_after_commit(send_customer_notice, str(thread.tenant_id), str(thread.id), "received")
    enqueue_after_commit(send_staff_notice, str(thread.tenant_id), str(thread.id))
    return thread, True


def customer_reply(thread: CrmThread, *, body: str, key: str) -> bool:
    """The customer answers in the thread (from its signed link); it opens again for the shop.

    False when this form was already sent (nothing added).
    """
    body = _check_body(body)
    if not _add_message(thread, author=Author.CUSTOMER, body=body, key=key, author_id=None):
        return False
    thread.status = ThreadStatus.OPEN
    customer = thread_customer(thread)
    customer.last_message_at = customer.last_seen_at = thread.last_message_at
    db.session.flush()
    enqueue_after_commit(send_staff_notice, str(thread.tenant_id), str(thread.id))
    return True


def staff_reply(thread: CrmThread, *, body: str, key: str, author_id: UUID) -> bool:
    """A member answers: the thread waits for the customer, who is emailed the link.

    An unassigned thread becomes the answering member's. False when this form was
    already sent (nothing added).
    """
    body = _check_body(body)
    if not _add_message(thread, author=Author.STAFF, body=body, key=key, author_id=author_id):
        return False
    thread.status = ThreadStatus.WAITING
    if thread.assignee_id is None:
        thread.assignee_id = author_id
    db.session.flush()
    enqueue_after_commit(send_customer_notice, str(thread.tenant_id), str(thread.id), "answered")
    return True


def set_status(thread: CrmThread, status: ThreadStatus) -> bool:
    """Mark the thread open, waiting or closed; False when it already was."""
    if thread.status is status:
        return False
    thread.status = status
    db.session.flush()
    return True


def assign(thread: CrmThread, assignee_id: UUID | None, *, viewer: Viewer) -> bool:
    """Give the thread to a member of the shop (None: to nobody); False when it already was.

    Managers give threads to anyone in the shop; others take a thread for
    themselves or give back their own.
    """
    if thread.assignee_id == assignee_id:
        return False
    if not viewer.sees_all and assignee_id not in (None, viewer.user_id):
        raise CrmError("You can take a conversation for yourself only.")
    if assignee_id is not None and not _is_member(assignee_id, thread.tenant_id):
        raise CrmError("Choose a member of this shop.")
    thread.assignee_id = assignee_id
    db.session.flush()
    return True


def _is_member(user_id: UUID, tenant_id: UUID) -> bool:
    return (
        db.session.scalar(
            sa.select(Membership.user_id).where(
                Membership.user_id == user_id, Membership.tenant_id == tenant_id
            )
        )
        is not None
    )


def members(tenant_id: UUID) -> list[tuple[UUID, User]]:
    """The shop's members (user id, user) to assign threads to, in joining order."""
    rows = db.session.execute(
        sa.select(Membership.user_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.created_at)
    )
    return [(user_id, user) for user_id, user in rows]


def thread_messages(thread: CrmThread) -> list[CrmMessage]:
    """The thread's messages, oldest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(CrmMessage)
            .where(CrmMessage.thread_id == thread.id)
            .order_by(CrmMessage.created_at, CrmMessage.id)
        )
    )


def thread_list(
    *,
    viewer: Viewer,
    status: ThreadStatus | None = None,
    customer_id: UUID | None = None,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """One page of the threads ``viewer`` may see, latest message first: three queries at most."""
    query = sa.select(CrmThread).where(visible_to(viewer))
    if status is not None:
        query = query.where(CrmThread.status == status)
    if customer_id is not None:
        query = query.where(CrmThread.customer_id == customer_id)
    return keyset_paginate(
        query,
        moment=CrmThread.last_message_at,
        row_id=CrmThread.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )


def authors_of(shown: list[CrmMessage]) -> dict[UUID, User]:
    """The members who wrote these messages by id, in one query (none: no query)."""
    ids = {message.author_id for message in shown if message.author_id}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def customers_of(threads: list[CrmThread]) -> dict[UUID, CrmCustomer]:
    """The customers of these threads by id, in one query."""
    ids = {thread.customer_id for thread in threads}
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(CrmCustomer).where(CrmCustomer.id.in_(ids)))
    return {customer.id: customer for customer in rows}
