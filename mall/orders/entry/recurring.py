"""Recurring invoices (AShop's AutoBill): a schedule issues a copy of an invoice each period.

"Make recurring" on an issued invoice makes an ``InvoiceSchedule``: every month,
quarter or year from a first date, until stopped or after N invoices. Dates keep
to the first date's day of the month, clamped to the month's end and never drifting:
Jan 31 -> Feb 28 (29) -> Mar 31 (``period_date``).

Issuing (``issue_due``, run by the hourly job ``issue_due_invoices``) is one
conditional UPDATE that moves ``next_issue_on`` from the date read to the next
period (counted from ``first_issue_on``, the first invoice's date); only the caller
whose UPDATE hit copies the template, issues and sends the copy, so a job run twice
(or two workers at once) issues once. The copy's ``request_key`` names the schedule
and the period, so even a replay after a crash between the steps finds the copy
already made. A schedule behind by several periods (the
worker was down) issues every missed period, one per job, each in its own
transaction, dated the day it is issued.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.crm.models import CrmCustomer
from mall.db import utcnow
from mall.extensions import db
from mall.orders.entry.lifecycle import issue_invoice, send_document
from mall.orders.entry.models import (
    InvoiceSchedule,
    SalesDocument,
    SalesKind,
    SalesStatus,
    ScheduleEvery,
)
from mall.orders.entry.services import copy_document, get_sales_document
from mall.orders.errors import OrderError
from mall.pagination import Page, paginate
from tenants.guard import scoped_get
from tenants.keys import reveal

PERIOD_MONTHS = {ScheduleEvery.MONTH: 1, ScheduleEvery.QUARTER: 3, ScheduleEvery.YEAR: 12}
EVERY_LABELS = {
    ScheduleEvery.MONTH: "Every month",
    ScheduleEvery.QUARTER: "Every quarter",
    ScheduleEvery.YEAR: "Every year",
}
MAX_STOP_AFTER = 1000  # invoices in all: past any real agreement
MAX_FIRST_DAYS = 2 * 366  # how far ahead the first invoice may be
# An invoice that is issued: it has its number (sent, then perhaps paid).
ISSUED = (SalesStatus.SENT, SalesStatus.PAID)


class ScheduleError(OrderError):
    """A schedule that cannot be made or moved; the message says why."""


@dataclass(frozen=True)
class ScheduleRow:
    """One schedule as the list shows it, with its customer and template invoice."""

    schedule: InvoiceSchedule
    customer_name: str
    template_number: str
    status: str


# ---------------------------------------------------------------- dates


def add_months(start: date, months: int, *, day: int | None = None) -> date:
    """``start`` moved by ``months``, on ``day`` (default ``start``'s) or the month's last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day or start.day, last))


def period_date(first: date, every: ScheduleEvery, number: int) -> date:
    """The date of period ``number`` (0: ``first``), anchored on ``first``'s day of month."""
    return add_months(first, PERIOD_MONTHS[every] * number, day=first.day)


def first_date_after(issued_on: date, every: ScheduleEvery, *, today: date) -> date:
    """The default first date: one period after the invoice, or the first such date from today."""
    number = 1
    while period_date(issued_on, every, number) < today:
        number += 1
    return period_date(issued_on, every, number)


def period_key(schedule_id: UUID, period: date) -> str:
    """The request key of the copy issued for ``period``: one copy per period, ever.

    ``<schedule id hex>:<day number hex>`` fits the 40 characters of a request key
    (a form's key is 32 hex digits: never one of these).
    """
    return f"{schedule_id.hex}:{period.toordinal():x}"


def period_of_key(key: str) -> date | None:
    """The period a copy's request key names (``period_key``), or None for another key."""
    _, sep, day = key.partition(":")
    try:
        return date.fromordinal(int(day, 16)) if sep else None
    except (ValueError, OverflowError):
        return None


def first_period(schedule: InvoiceSchedule) -> date:
    """The schedule's first date, the anchor of every later one.

    Before any invoice it is ``next_issue_on`` (the date the first will be issued on);
    after, ``first_issue_on``, which the first claim fixed to the period it issued.
    """
    if schedule.issued_count == 0:
        return schedule.next_issue_on
    return schedule.first_issue_on


# ---------------------------------------------------------------- reading


def get_schedule(schedule_id: UUID | str | None) -> InvoiceSchedule | None:
    """The schedule of the shop in context with this id, or None."""
    return scoped_get(InvoiceSchedule, schedule_id)


def schedule_of(document: SalesDocument) -> InvoiceSchedule | None:
    """The schedule that copies ``document`` (its template), if any."""
    return db.session.scalar(
        sa.select(InvoiceSchedule).where(InvoiceSchedule.template_id == document.id)
    )


def status_of(schedule: InvoiceSchedule) -> str:
    """``active``, ``finished`` (stop after N reached) or ``stopped``."""
    if schedule.stopped_at is not None:
        return "stopped"
    if schedule.stop_after is not None and schedule.issued_count >= schedule.stop_after:
        return "finished"
    return "active"


def schedule_list(*, page: int = 1, per_page: int = 25, created_by_id: UUID | None = None) -> Page:
    """The shop's schedules (only ``created_by_id``'s if given), newest first, with names
    and numbers: four queries a page, whatever its length."""
    statement = sa.select(InvoiceSchedule).order_by(
        InvoiceSchedule.created_at.desc(), InvoiceSchedule.id.desc()
    )
    if created_by_id is not None:
        statement = statement.where(InvoiceSchedule.created_by_id == created_by_id)
    listing = paginate(statement, page=page, per_page=per_page)
    schedules = listing.items
    customers = _by_id(CrmCustomer, {s.customer_id for s in schedules})
    templates = _by_id(SalesDocument, {s.template_id for s in schedules})
    rows = []
    for schedule in schedules:
        customer = customers.get(schedule.customer_id)
        template = templates.get(schedule.template_id)
        rows.append(
            ScheduleRow(
                schedule=schedule,
                customer_name=(reveal(customer, "name") or reveal(customer, "email") or "")
                if customer
                else "",
                template_number=(template.number or "") if template else "",
                status=status_of(schedule),
            )
        )
    return Page(items=rows, page=listing.page, per_page=listing.per_page, total=listing.total)


def issued_by(schedule: InvoiceSchedule, *, page: int = 1, per_page: int = 25) -> Page:
    """The invoices ``schedule`` issued, newest first."""
    return paginate(
        sa.select(SalesDocument)
        .where(SalesDocument.schedule_id == schedule.id)
        .order_by(SalesDocument.created_at.desc(), SalesDocument.id.desc()),
        page=page,
        per_page=per_page,
    )


def _by_id(model: type, ids: set[UUID]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


# ---------------------------------------------------------------- making and stopping


def check_template(document: SalesDocument) -> None:
    """Refuse (``ScheduleError``) a document that cannot repeat: only an issued invoice can."""
    if document.kind is not SalesKind.INVOICE:
        raise ScheduleError("Only an invoice can repeat; issue this quote as an invoice first.")
    if document.status not in ISSUED or not document.number:
        raise ScheduleError("Issue the invoice first: only an issued invoice can repeat.")
    if document.schedule_id is not None:
        raise ScheduleError("A schedule issued this invoice: it repeats already.")


def check_first_date(first: date, *, today: date) -> str | None:
    """The message when ``first`` cannot be the first date, else None."""
    if first <= today:
        return "Choose a date after today: today's invoice is this one."
    if first > today + timedelta(days=MAX_FIRST_DAYS):
        return "Choose a date within two years."
    return None


def make_recurring(
    document: SalesDocument,
    *,
    every: ScheduleEvery,
    first_on: date,
    stop_after: int | None,
    actor_id: UUID | None,
    today: date | None = None,
) -> InvoiceSchedule:
    """Make ``document`` (an issued invoice) repeat ``every`` period from ``first_on``.

    One schedule per invoice: a second submit (a double click) raises ``ScheduleError``
    naming the schedule that exists.
    """
    check_template(document)
    message = check_first_date(first_on, today=today or utcnow().date())
    if message:
        raise ScheduleError(message)
    if stop_after is not None and not 1 <= stop_after <= MAX_STOP_AFTER:
        raise ScheduleError(f"Stop after 1 to {MAX_STOP_AFTER} invoices, or leave it empty.")
    if schedule_of(document) is not None:
        raise ScheduleError("This invoice already repeats: see its schedule.")
    schedule = InvoiceSchedule(
        template_id=document.id,
        customer_id=document.customer_id,
        every=every,
        first_issue_on=first_on,
        next_issue_on=first_on,
        stop_after=stop_after,
        created_by_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(schedule)
            db.session.flush()
    except IntegrityError as clash:  # the same invoice made recurring at the same moment
        raise ScheduleError("This invoice already repeats: see its schedule.") from clash
    return schedule


def stop_schedule(schedule: InvoiceSchedule, *, actor_id: UUID | None) -> bool:
    """Stop the schedule: it issues nothing more. False when it was already stopped."""
    changed = db.session.execute(
        sa.update(InvoiceSchedule)
        .where(
            InvoiceSchedule.tenant_id == schedule.tenant_id,
            InvoiceSchedule.id == schedule.id,
            InvoiceSchedule.stopped_at.is_(None),
        )
        .values(stopped_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(schedule)
    return changed == 1


# ---------------------------------------------------------------- issuing


def is_due(schedule: InvoiceSchedule, *, today: date) -> bool:
    """True when the schedule should issue now: active, not finished, its date reached."""
    return status_of(schedule) == "active" and schedule.next_issue_on <= today


def due_condition(today: date) -> sa.ColumnElement[bool]:
    """``is_due`` in SQL (the sweep's WHERE)."""
    return sa.and_(
        InvoiceSchedule.stopped_at.is_(None),
        InvoiceSchedule.next_issue_on <= today,
        sa.or_(
            InvoiceSchedule.stop_after.is_(None),
            InvoiceSchedule.issued_count < InvoiceSchedule.stop_after,
        ),
    )


def claim_period(schedule: InvoiceSchedule, *, today: date) -> date | None:
    """Move the schedule on by one period (one conditional UPDATE); the period claimed.

    None when another run moved it first, or it was stopped, finished or not due:
    only the caller that gets a date issues that period's invoice.
    """
    if not is_due(schedule, today=today):
        return None
    period = schedule.next_issue_on
    first = first_period(schedule)
    following = period_date(first, schedule.every, schedule.issued_count + 1)
    changed = db.session.execute(
        sa.update(InvoiceSchedule)
        .where(
            InvoiceSchedule.tenant_id == schedule.tenant_id,
            InvoiceSchedule.id == schedule.id,
            InvoiceSchedule.next_issue_on == period,
            InvoiceSchedule.issued_count == schedule.issued_count,
            due_condition(today),
        )
        .values(
            # The first claim fixes the anchor to the period it issues (the first date,
            # unless it was moved before anything was issued).
            first_issue_on=first,
            next_issue_on=following,
            issued_count=InvoiceSchedule.issued_count + 1,
            last_issued_on=period,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(schedule)
    return period if changed == 1 else None


def issue_due(schedule: InvoiceSchedule, *, today: date | None = None) -> SalesDocument | None:
    """Issue and send the schedule's invoice for its due period, once; the copy, or None.

    The copy is the template's lines and customer, numbered now in the invoice series,
    with ``schedule_id`` set. Raises ``OrderError`` (and the caller rolls back, so the
    period is not claimed) when the template cannot be copied any more.
    """
    today = today or utcnow().date()
    template = get_sales_document(schedule.template_id)
    if template is None or template.status is SalesStatus.VOID:
        raise ScheduleError("The schedule's invoice was voided: stop the schedule.")
    period = claim_period(schedule, today=today)
    if period is None:
        return None
    actor_id = schedule.created_by_id
    copy = copy_document(
        template,
        actor_id=actor_id,
        request_key=period_key(schedule.id, period),
        kind=SalesKind.INVOICE,
    )
    copy.schedule_id = schedule.id
    db.session.flush()
    if copy.status is SalesStatus.DRAFT:
        issue_invoice(copy, actor_id=actor_id, issued_on=today)
        send_document(copy, actor_id=actor_id)
    return copy
