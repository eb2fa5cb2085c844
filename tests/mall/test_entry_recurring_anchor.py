"""A recurring invoice's first date is kept on its schedule (``first_issue_on``, migration
0029): the form's first date when made, the first period issued once claimed, and every
later period counts from it, whatever its copies' keys say."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders.entry import recurring
from mall.orders.entry.models import InvoiceSchedule, SalesDocument, ScheduleEvery
from tenants.context import tenant_context
from tests.crawl.invoice_schedules import issued_invoice
from tests.mall.test_entry_recurring import copies, load_schedule, schedule_for

MONTH = ScheduleEvery.MONTH


def test_the_form_s_first_date_is_stored(app_ctx, shop_a):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a))
    schedule = load_schedule(shop_a, schedule_id)
    assert schedule.first_issue_on == schedule.next_issue_on == utcnow().date() + timedelta(days=1)


def test_later_periods_count_from_the_stored_first_date_not_the_copies_keys(app_ctx, shop_a):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=date(2024, 1, 31))
    with tenant_context(shop_a):
        schedule = db.session.get(InvoiceSchedule, (shop_a.id, schedule_id))
        assert recurring.issue_due(schedule, today=date(2024, 3, 1)) is not None
        db.session.commit()
        assert schedule.first_issue_on == date(2024, 1, 31)  # fixed by the first claim
        # The first copy's key no longer names a period: the anchor does not depend on it.
        db.session.execute(
            sa.update(SalesDocument)
            .where(SalesDocument.schedule_id == schedule_id)
            .values(request_key="0" * 32)
        )
        db.session.commit()
        issued = [recurring.issue_due(schedule, today=date(2024, 4, 1)) for _ in range(3)]
        db.session.commit()
    assert issued[2] is None  # April 30 is not due on April 1
    assert [recurring.period_of_key(c.request_key) for c in copies(shop_a, schedule_id)][1:] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]
    schedule = load_schedule(shop_a, schedule_id)
    assert schedule.first_issue_on == date(2024, 1, 31)
    assert schedule.next_issue_on == date(2024, 4, 30)
    assert schedule.issued_count == 3


def test_the_anchor_costs_no_query(app_ctx, shop_a, count_queries):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=date(2024, 1, 31))
    with tenant_context(shop_a):
        schedule = db.session.get(InvoiceSchedule, (shop_a.id, schedule_id))
        recurring.issue_due(schedule, today=date(2024, 2, 1))
        db.session.commit()
        schedule = db.session.get(InvoiceSchedule, (shop_a.id, schedule_id))
        with count_queries(cold=False) as counted:
            assert recurring.first_period(schedule) == date(2024, 1, 31)
    assert counted.count == 0
