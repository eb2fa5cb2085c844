"""Overdue invoices: the daily job emails a reminder (pay link, amount, days overdue) at most
once a week and three times, never for a paid or void invoice nor before the due date; the
job run twice in a day sends one email; its jobs carry ids only."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa

import mall.jobs
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import run_job
from mall.orders.entry import reminders
from mall.orders.entry.models import SalesDocument, SalesStatus
from tenants.context import tenant_context
from tests.crawl.invoice_schedules import issued_invoice
from tests.support.mail import clear_outbox, outbox_dir

SWEEP = "mall.orders.entry.jobs_recurring:remind_overdue_invoices"


def set_invoice(shop, document_id, **values) -> None:
    with tenant_context(shop):
        db.session.execute(
            sa.update(SalesDocument).where(SalesDocument.id == document_id).values(**values)
        )
        db.session.commit()


def load(shop, document_id) -> SalesDocument:
    db.session.expire_all()
    with tenant_context(shop):
        return db.session.get(SalesDocument, (shop.id, document_id))


def reminders_sent(app, number: str) -> list[str]:
    found = []
    for path in sorted(outbox_dir(app).glob("*.eml")):
        text = path.read_text()
        if "Reminder: invoice" in text and number in text:
            found.append(text)
    return found


@pytest.fixture
def overdue(app, app_ctx, shop_a):
    """An invoice of shop A due 10 days ago, not reminded yet: (id, number)."""
    clear_outbox(app)
    document_id = issued_invoice(shop_a, email="olga@example.com", name="Olga Owes")
    set_invoice(shop_a, document_id, due_on=utcnow().date() - timedelta(days=10))
    return document_id, load(shop_a, document_id).number


def test_an_overdue_invoice_is_reminded_with_its_pay_link_amount_and_days(app, shop_a, overdue):
    document_id, number = overdue
    assert run_job(SWEEP, None) == 1
    [email] = reminders_sent(app, number)
    assert "olga@example.com" in email
    assert "10 days overdue" in email
    assert "/pay/" in email
    assert "49.00" in email
    document = load(shop_a, document_id)
    assert document.reminders_sent == 1 and document.last_reminded_on == utcnow().date()


def test_the_job_twice_in_a_day_sends_one_email(app, shop_a, overdue):
    _, number = overdue
    run_job(SWEEP, None)
    assert run_job(SWEEP, None) == 0
    assert len(reminders_sent(app, number)) == 1


def test_one_reminder_a_week_and_three_at_most(app, shop_a, overdue):
    document_id, number = overdue
    today = utcnow().date()
    run_job(SWEEP, None)
    set_invoice(shop_a, document_id, last_reminded_on=today - timedelta(days=6))
    assert run_job(SWEEP, None) == 0  # six days: not yet
    for _ in range(3):
        set_invoice(shop_a, document_id, last_reminded_on=today - timedelta(days=7))
        run_job(SWEEP, None)
    assert len(reminders_sent(app, number)) == 3
    assert load(shop_a, document_id).reminders_sent == 3


@pytest.mark.parametrize("status", [SalesStatus.PAID, SalesStatus.VOID])
def test_paid_or_void_invoices_are_never_reminded(app, shop_a, overdue, status):
    document_id, number = overdue
    set_invoice(shop_a, document_id, status=status)
    assert run_job(SWEEP, None) == 0
    assert reminders_sent(app, number) == []


def test_not_before_the_due_date_has_passed(app, shop_a, overdue):
    document_id, number = overdue
    set_invoice(shop_a, document_id, due_on=utcnow().date())
    assert run_job(SWEEP, None) == 0
    assert reminders_sent(app, number) == []


def test_paid_between_the_claim_and_the_email_sends_nothing(app, shop_a, overdue, monkeypatch):
    document_id, number = overdue
    held, dispatch = [], mall.jobs.dispatch
    monkeypatch.setattr(mall.jobs, "dispatch", held.append)
    run_job(SWEEP, None)
    [remind] = held
    run_job(remind.ref, remind.tenant_id, *remind.args)
    [email_job] = held[1:]
    assert email_job.ref.endswith(":send_reminder") and email_job.queue == "mail"
    for job in held:  # ids only (and the reminder's count), in the invoice's shop
        assert job.tenant_id == str(shop_a.id)
        assert UUID(str(job.args[0])) == document_id
    set_invoice(shop_a, document_id, status=SalesStatus.PAID)
    monkeypatch.setattr(mall.jobs, "dispatch", dispatch)
    assert run_job(email_job.ref, email_job.tenant_id, *email_job.args) is False
    assert reminders_sent(app, number) == []


def test_reminders_of_each_shop_go_out_in_its_context(app, shop_a, shop_b, overdue):
    _, number_a = overdue
    b_id = issued_invoice(shop_b, email="bert@example.com", name="Bert B")
    set_invoice(shop_b, b_id, due_on=utcnow().date() - timedelta(days=1))
    assert run_job(SWEEP, None) == 2
    [email_b] = reminders_sent(app, load(shop_b, b_id).number)
    assert "bert@example.com" in email_b and "1 day overdue" in email_b
    assert "olga@example.com" not in email_b
    assert len(reminders_sent(app, number_a)) == 1


def test_the_sweep_continues_past_a_full_batch(app, shop_a, overdue, monkeypatch):
    from mall.orders.entry import jobs_recurring

    second = issued_invoice(shop_a, email="otto@example.com")
    set_invoice(shop_a, second, due_on=utcnow().date() - timedelta(days=3))
    monkeypatch.setattr(jobs_recurring, "BATCH", 1)
    run_job(SWEEP, None)
    assert load(shop_a, second).reminders_sent == 1
    assert load(shop_a, overdue[0]).reminders_sent == 1


def test_the_invoice_page_partial_shows_the_reminders(app, shop_a, overdue):
    from flask import g, render_template

    document_id, _ = overdue
    run_job(SWEEP, None)
    document = load(shop_a, document_id)
    with app.test_request_context("/shop/shop-a/admin/"), tenant_context(shop_a):
        g.shop = shop_a
        html = render_template(
            "orders/entry/recurring/_invoice_panel.html", document=document, can=lambda _: True
        )
    assert "Overdue reminders sent: 1" in html
    assert "Make recurring" in html
    assert reminders.MAX_REMINDERS == 3
