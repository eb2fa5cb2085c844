"""Overdue invoices: the customer is reminded by email, at most once a week and three times.

An invoice is overdue when it was sent, is still unpaid (not paid, not void) and its
``due_on`` has passed. The daily job ``remind_overdue_invoices`` finds them;
``remind`` claims the reminder with one conditional UPDATE on ``reminders_sent`` and
``last_reminded_on`` (the guard: the job run twice in a day sends one email); the
job then enqueues the email, which names the invoice, the amount, the days overdue and the
pay link. The invoice page shows how many reminders went out (``_invoice_panel.html``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.tokens import pay_link_url
from tenants.guard import scoped_get

REMIND_EVERY_DAYS = 7  # at most one reminder in this many days
MAX_REMINDERS = 3  # reminders per invoice, ever


@dataclass(frozen=True)
class Reminder:
    """What the reminder email says."""

    number: str
    total: int
    currency: str
    due_on: date
    days_overdue: int
    pay_url: str
    reminder_number: int


def reminder_condition(today: date) -> sa.ColumnElement[bool]:
    """The invoices that may be reminded ``today``: overdue, unpaid, not reminded lately."""
    return sa.and_(
        SalesDocument.kind == SalesKind.INVOICE,
        SalesDocument.status == SalesStatus.SENT,
        SalesDocument.due_on < today,
        SalesDocument.reminders_sent < MAX_REMINDERS,
        sa.or_(
            SalesDocument.last_reminded_on.is_(None),
            SalesDocument.last_reminded_on <= today - timedelta(days=REMIND_EVERY_DAYS),
        ),
    )


def may_remind(document: SalesDocument, *, today: date) -> bool:
    """``reminder_condition`` for one loaded invoice."""
    last = document.last_reminded_on
    return (
        document.kind is SalesKind.INVOICE
        and document.status is SalesStatus.SENT
        and document.due_on is not None
        and document.due_on < today
        and document.reminders_sent < MAX_REMINDERS
        and (last is None or last <= today - timedelta(days=REMIND_EVERY_DAYS))
    )


def claim_reminder(document: SalesDocument, *, today: date) -> bool:
    """Count a reminder for ``document`` today (one conditional UPDATE); False when another
    run counted one first, or it was paid, voided or reminded lately."""
    if not may_remind(document, today=today):
        return False
    changed = db.session.execute(
        sa.update(SalesDocument)
        .where(
            SalesDocument.tenant_id == document.tenant_id,
            SalesDocument.id == document.id,
            SalesDocument.reminders_sent == document.reminders_sent,
            reminder_condition(today),
        )
        .values(reminders_sent=SalesDocument.reminders_sent + 1, last_reminded_on=today)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(document)
    return changed == 1


def remind(document: SalesDocument, *, today: date | None = None) -> bool:
    """Count a reminder of an overdue invoice, once per interval (the caller emails it after
    the commit: ``jobs_recurring.send_reminder``). False when nothing was due."""
    return claim_reminder(document, today=today or utcnow().date())


def reminder_of(document: SalesDocument, *, today: date | None = None) -> Reminder:
    """The reminder email's facts for ``document`` (its pay link made now)."""
    today = today or utcnow().date()
    due_on = document.due_on or today
    return Reminder(
        number=document.number or "",
        total=document.total,
        currency=document.currency,
        due_on=due_on,
        days_overdue=max(0, (today - due_on).days),
        pay_url=pay_link_url(document),
        reminder_number=document.reminders_sent,
    )


def get_invoice(document_id: UUID | str | None) -> SalesDocument | None:
    """The shop's invoice with this id (a quote is None)."""
    found = scoped_get(SalesDocument, document_id)
    return found if found is not None and found.kind is SalesKind.INVOICE else None
