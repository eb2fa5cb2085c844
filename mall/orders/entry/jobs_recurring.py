"""Periodic jobs of order entry: recurring invoices (hourly) and overdue reminders (daily).

Each sweep reads across shops only to find ids (``all_tenants``), in batches by
(shop, id), then enqueues one job per row in that row's shop: each schedule's
invoice and each reminder is its own transaction, retried on its own, and a
failing one does not hold the others back. The per-row jobs re-check everything
with a conditional UPDATE, so sweeps that overlap (or run twice) issue and remind once.
Arguments are ids (and a count) only.
"""

from __future__ import annotations

import logging
from datetime import date
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.mail import deliver, render_message
from mall.money import format_money
from mall.orders.entry.models import InvoiceSchedule, SalesDocument, SalesStatus
from mall.orders.entry.recurring import due_condition, get_schedule, is_due, issue_due
from mall.orders.entry.reminders import get_invoice, remind, reminder_condition, reminder_of
from mall.orders.errors import OrderError
from tenants.context import all_tenants, current_tenant_id, tenant_context
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)

SCHEDULES_INTERVAL = 3600
REMINDERS_INTERVAL = 24 * 3600
BATCH = 500

Cursor = tuple[UUID, UUID] | None


def _after(tenant_id: str, row_id: str) -> Cursor:
    return (UUID(tenant_id), UUID(row_id)) if tenant_id and row_id else None


def _batch(model: type, condition: sa.ColumnElement[bool], after: Cursor) -> list:
    # Suspended and closed shops issue and remind nothing (a closed shop's keys are gone).
    active = sa.select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE)
    statement = sa.select(model.tenant_id, model.id).where(condition, model.tenant_id.in_(active))
    if after is not None:
        statement = statement.where(sa.tuple_(model.tenant_id, model.id) > sa.tuple_(*after))
    return list(db.session.execute(statement.order_by(model.tenant_id, model.id).limit(BATCH)))


def due_schedules(today: date, *, after: Cursor = None) -> list:
    """(shop id, schedule id) of the schedules due ``today``, a batch after ``after``."""
    with all_tenants("recurring invoices: find the due schedules"):
        return _batch(InvoiceSchedule, due_condition(today), after)


def invoices_to_remind(today: date, *, after: Cursor = None) -> list:
    """(shop id, invoice id) of the overdue invoices due a reminder ``today``, a batch."""
    with all_tenants("overdue invoices: find the invoices due a reminder (ids only)"):
        return _batch(SalesDocument, reminder_condition(today), after)


def _fan_out(rows: list, each: object, sweep: object) -> int:
    for tenant_id, row_id in rows:
        with tenant_context(tenant_id):
            enqueue_after_commit(each, row_id)
    if len(rows) == BATCH:  # more: the next batch in a new job, after this one's commit
        tenant_id, row_id = rows[-1]
        enqueue_after_commit(sweep, str(tenant_id), str(row_id))
    return len(rows)


# ---------------------------------------------------------------- recurring invoices


@job(retries=0)
def issue_due_invoices(after_tenant: str = "", after_id: str = "") -> int:
    """Hourly: one ``issue_schedule`` job per due schedule; how many were enqueued."""
    rows = due_schedules(utcnow().date(), after=_after(after_tenant, after_id))
    return _fan_out(rows, issue_schedule, issue_due_invoices)


@job()
def issue_schedule(schedule_id: str) -> bool:
    """Issue one schedule's due invoice (in its shop's context), then the next missed period
    in a new job: a schedule behind by several periods catches up, one invoice each."""
    schedule = get_schedule(schedule_id)
    if schedule is None:
        return False
    today = utcnow().date()
    try:
        with db.session.begin_nested():
            issued = issue_due(schedule, today=today)
    except OrderError as refused:
        # The template cannot be copied (voided, products gone): the shop must stop the
        # schedule; nothing is claimed, so it is retried at the next sweep.
        log.warning("schedule %s not issued: %s", schedule.id, type(refused).__name__)
        return False
    if issued is not None and is_due(schedule, today=today):
        enqueue_after_commit(issue_schedule, schedule.id)
    return issued is not None


# ---------------------------------------------------------------- reminders


@job(retries=0)
def remind_overdue_invoices(after_tenant: str = "", after_id: str = "") -> int:
    """Daily: one ``remind_invoice`` job per invoice due a reminder; how many enqueued."""
    rows = invoices_to_remind(utcnow().date(), after=_after(after_tenant, after_id))
    return _fan_out(rows, remind_invoice, remind_overdue_invoices)


@job()
def remind_invoice(document_id: str) -> bool:
    """Count one overdue invoice's reminder (in its shop's context), once, and email it."""
    document = get_invoice(document_id)
    if document is None or not remind(document):
        return False
    enqueue_after_commit(send_reminder, document.id, document.reminders_sent)
    return True


@job(queue="mail")
def send_reminder(document_id: str, reminder_number: int) -> bool:
    """Email reminder number ``reminder_number`` of an invoice to its customer (the address
    is opened here, in the shop's context, never passed along)."""
    document = get_invoice(document_id)
    shop = db.session.get(Tenant, current_tenant_id())
    if (
        document is None
        or shop is None
        or document.status is not SalesStatus.SENT
        or int(reminder_number) != document.reminders_sent
    ):
        return False  # paid, voided or reminded again since: this email is stale
    facts = reminder_of(document)
    message = render_message(
        "orders/entry/recurring/email/reminder",
        to=document.email,
        subject=f"Reminder: invoice {facts.number} from {shop.name} is overdue",
        shop_name=shop.name,
        facts=facts,
        amount=format_money(facts.total, code=facts.currency),
        mall_name=current_app.config["MALL_NAME"],
    )
    deliver(message)
    return True
