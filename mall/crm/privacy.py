"""What a shop's CRM holds about a person, for their data export and their account's deletion.

Registered with the account's privacy services (``mall.accounts``): the shops the person
wrote to count among their shops (``shops_written_to``), so the export asks each shop they
ordered from or wrote to for its record of them (``export_section``, in that shop's
context); deleting the account removes every shop's record of them, notes, tags, threads
and messages included (``erase_person``). The CRM is not a tax record: nothing in it has
a reason to outlive the account, nor the shop's retention period: the daily retention job
deletes the records of people with no order and no message since (``forget_inactive``).

A changed account email does not move these records: each shop's record stays under the
email that shop knew (it is the shop's own record of what it was told).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.export_shops import shops_of
from mall.accounts.models import User
from mall.crm.customers import find_customer
from mall.crm.models import CrmCustomer, CrmMessage, CrmThread
from mall.extensions import db
from tenants.context import all_tenants, tenant_context
from tenants.keys import reveal

BATCH = 500  # customers deleted per statement (bound parameters stay few)


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def _message(message: CrmMessage) -> dict[str, Any]:
    return {
        "from": str(message.author),
        "at": _when(message.created_at),
        "text": reveal(message, "body"),
    }


def export_section(user: User) -> dict[str, Any]:
    """The shop in context's record of ``user`` (by their email): contact, the staff's notes and
    tags, totals, and every thread with its messages. Empty when the shop has none."""
    customer = find_customer(user.email)
    if customer is None:
        return {}
    threads = db.session.scalars(
        sa.select(CrmThread)
        .where(CrmThread.customer_id == customer.id)
        .order_by(CrmThread.created_at, CrmThread.id)
    ).all()
    messages: dict[UUID, list[CrmMessage]] = defaultdict(list)
    if threads:
        for message in db.session.scalars(
            sa.select(CrmMessage)
            .where(CrmMessage.thread_id.in_([thread.id for thread in threads]))
            .order_by(CrmMessage.created_at, CrmMessage.id)
        ):
            messages[message.thread_id].append(message)
    return {
        "email": reveal(customer, "email"),
        "name": reveal(customer, "name"),
        "notes_by_the_shop": reveal(customer, "notes"),
        "tags": customer.tags,
        "orders_count": customer.orders_count,
        "lifetime_value": customer.lifetime_value,
        "threads": [
            {
                "subject": reveal(thread, "subject"),
                "status": str(thread.status),
                "started_at": _when(thread.created_at),
                "messages": [_message(message) for message in messages[thread.id]],
            }
            for thread in threads
        ],
    }


def shops_written_to(user: User) -> set[UUID]:
    """The ids of the shops ``user`` wrote to while signed in (a thread, with or without an
    order): the CRM's part of ``mall.accounts.export_shops.shops_of``."""
    with all_tenants("privacy: which shops hold threads the account started (shop ids only)"):
        return set(
            db.session.scalars(
                sa.select(CrmThread.tenant_id).where(CrmThread.user_id == user.id).distinct()
            )
        )


def _delete_customers(customer_ids: list[UUID]) -> None:
    """Delete these customers of the shop in context with their threads and messages."""
    threads = sa.select(CrmThread.id).where(CrmThread.customer_id.in_(customer_ids))
    for statement in (
        sa.delete(CrmMessage).where(CrmMessage.thread_id.in_(threads)),
        sa.delete(CrmThread).where(CrmThread.customer_id.in_(customer_ids)),
        sa.delete(CrmCustomer).where(CrmCustomer.id.in_(customer_ids)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


def forget_inactive(shop_id: UUID, cutoff: datetime) -> int:
    """Delete the shop in context's customers with no paid order, no message (theirs or the
    staff's) and no record made since ``cutoff``, with their threads and messages; how many.

    The retention job's step (``mall.accounts.retention.add_retention_step``). Flushes only.
    """
    recent_thread = sa.exists().where(
        CrmThread.customer_id == CrmCustomer.id, CrmThread.last_message_at >= cutoff
    )
    inactive = sa.select(CrmCustomer.id).where(
        CrmCustomer.created_at < cutoff,
        sa.or_(CrmCustomer.last_order_at.is_(None), CrmCustomer.last_order_at < cutoff),
        sa.or_(CrmCustomer.last_message_at.is_(None), CrmCustomer.last_message_at < cutoff),
        ~recent_thread,
    )
    ids = list(db.session.scalars(inactive))
    for start in range(0, len(ids), BATCH):
        _delete_customers(ids[start : start + BATCH])
    db.session.flush()
    return len(ids)


def erase_person(user: User) -> int:
    """Delete every shop's record of ``user`` (found by their email under each shop's key) with
    its threads and messages; how many records went. Flushes only."""
    removed = 0
    for shop_id in shops_of(user):
        with tenant_context(shop_id):
            customer = find_customer(user.email)
            if customer is None:
                continue
            _delete_customers([customer.id])
            removed += 1
    return removed
