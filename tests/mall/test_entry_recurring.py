"""Recurring invoices (AutoBill): month ends kept sane, "Make recurring" on an issued invoice,
the list and Stop, and the hourly job issuing each period once even when run twice (or two
sweeps at once), catching up missed periods, stopping after N; isolation between shops."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

import mall.jobs
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import run_job
from mall.orders.entry import recurring
from mall.orders.entry.models import (
    InvoiceSchedule,
    SalesDocument,
    SalesStatus,
    ScheduleEvery,
)
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.crawl.invoice_schedules import issued_invoice
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.mail import clear_outbox, outbox_dir

SWEEP = "mall.orders.entry.jobs_recurring:issue_due_invoices"
MONTH, QUARTER, YEAR = ScheduleEvery.MONTH, ScheduleEvery.QUARTER, ScheduleEvery.YEAR
committed_app = committed_app_fixture()


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def schedule_for(shop, document_id, *, first: date | None = None, every=MONTH, stop_after=None):
    """A schedule of the invoice (committed), first due ``first`` (default: tomorrow)."""
    with tenant_context(shop):
        document = db.session.get(SalesDocument, (shop.id, document_id))
        tomorrow = utcnow().date() + timedelta(days=1)
        schedule = recurring.make_recurring(
            document, every=every, first_on=tomorrow, stop_after=stop_after, actor_id=None
        )
        if first is not None:  # a date in the past: as if the days had gone by
            schedule.next_issue_on = first
        db.session.commit()
        return schedule.id


def load_schedule(shop, schedule_id) -> InvoiceSchedule:
    db.session.expire_all()
    with tenant_context(shop):
        return db.session.get(InvoiceSchedule, (shop.id, schedule_id))


def copies(shop, schedule_id) -> list[SalesDocument]:
    db.session.expire_all()
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(SalesDocument)
                .where(SalesDocument.schedule_id == schedule_id)
                .order_by(SalesDocument.created_at)
            )
        )


def member(shop, make_user, role: Role, email: str):
    user = make_user(email)
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    return user


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("first", "every", "expected"),
    [
        (date(2025, 1, 31), MONTH, [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]),
        (date(2024, 1, 31), MONTH, [date(2024, 2, 29), date(2024, 3, 31)]),
        (date(2025, 1, 30), MONTH, [date(2025, 2, 28), date(2025, 3, 30)]),
        (date(2025, 12, 15), MONTH, [date(2026, 1, 15), date(2026, 2, 15)]),
        (date(2025, 3, 31), QUARTER, [date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31)]),
        (date(2025, 11, 30), QUARTER, [date(2026, 2, 28), date(2026, 5, 30)]),
        (date(2024, 2, 29), YEAR, [date(2025, 2, 28), date(2026, 2, 28)]),
    ],
)
def test_periods_keep_the_first_day_of_the_month(first, every, expected):
    assert [recurring.period_date(first, every, n) for n in range(1, len(expected) + 1)] == expected
    assert recurring.period_date(date(2024, 2, 29), YEAR, 4) == date(2028, 2, 29)


def test_the_default_first_date_is_one_period_on_and_never_in_the_past():
    today = date(2025, 6, 10)
    assert recurring.first_date_after(date(2025, 6, 1), MONTH, today=today) == date(2025, 7, 1)
    assert recurring.first_date_after(date(2025, 1, 31), MONTH, today=today) == date(2025, 6, 30)
    assert recurring.first_date_after(date(2024, 6, 10), YEAR, today=today) == date(2025, 6, 10)


# ---------------------------------------------------------------- making one


def test_make_recurring_from_the_invoice_page_lists_the_schedule(
    client, shop_a, member_of_a, no_csrf
):
    invoice_id = issued_invoice(shop_a)
    page = client.get(f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Dora Diaz" in text and "Make recurring" in text
    first = (utcnow().date() + timedelta(days=40)).isoformat()
    made = client.post(
        f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}",
        data={"every": "quarter", "first_on": first, "stop_after": "4"},
    )
    assert made.status_code == 303
    detail = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Every quarter" in detail and first in detail and "0 of 4" in detail
    listing = client.get("/shop/shop-a/admin/invoice-schedules/").get_data(as_text=True)
    assert "Dora Diaz" in listing and first in listing and "Active" in listing


def test_a_second_submit_makes_no_second_schedule(client, shop_a, member_of_a, no_csrf):
    invoice_id = issued_invoice(shop_a)
    data = {"every": "month", "first_on": (utcnow().date() + timedelta(days=3)).isoformat()}
    path = f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}"
    first = client.post(path, data=data)
    again = client.post(path, data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    with tenant_context(shop_a):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(InvoiceSchedule))
    assert count == 1


@pytest.mark.parametrize(
    ("first_on", "stop_after", "message"),
    [
        ("2001-01-01", "", "Choose a date after today"),
        ("", "", "Enter a date as YYYY-MM-DD."),
        ("31/01/2030", "", "Enter a date as YYYY-MM-DD."),
        ("2030-01-01\x00", "", "Enter a date as YYYY-MM-DD."),
        ("99999-01-01", "", "Enter a date as YYYY-MM-DD."),
        ("2100-01-01", "", "within two years"),
        (None, "0", "Enter a whole number from 1 to 1,000."),
        (None, "99999999999999999999999", "Enter a whole number from 1 to 1,000."),
        (None, "two", "Enter a whole number."),
    ],
)
def test_bad_input_is_shown_at_the_field(
    client, shop_a, member_of_a, no_csrf, first_on, stop_after, message
):
    invoice_id = issued_invoice(shop_a)
    first_on = first_on if first_on is not None else (utcnow().date() + timedelta(1)).isoformat()
    page = client.post(
        f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}",
        data={"every": "month", "first_on": first_on, "stop_after": stop_after},
    )
    if "\x00" in first_on:  # the app refuses NUL bytes before any view
        assert page.status_code == 400
        return
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert message in text and "is-invalid" in text
    assert f'value="{stop_after}"' in text  # what was typed is kept


def test_an_unknown_period_is_refused(client, shop_a, member_of_a, no_csrf):
    invoice_id = issued_invoice(shop_a)
    page = client.post(
        f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}",
        data={"every": "fortnight", "first_on": "2030-01-01"},
    )
    assert page.status_code == 422


def test_only_an_issued_invoice_can_repeat(client, shop_a, member_of_a, no_csrf):
    invoice_id = issued_invoice(shop_a)
    with tenant_context(shop_a):
        document = db.session.get(SalesDocument, (shop_a.id, invoice_id))
        document.status = SalesStatus.VOID
        db.session.commit()
    page = client.post(
        f"/shop/shop-a/admin/invoice-schedules/new/{invoice_id}",
        data={"every": "month", "first_on": (utcnow().date() + timedelta(1)).isoformat()},
    )
    assert page.status_code == 409
    assert "Issue the invoice first" in page.get_data(as_text=True)


def test_an_invoice_a_schedule_issued_does_not_repeat_again(app_ctx, shop_a):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=utcnow().date())
    run_job(SWEEP, None)
    [copy] = copies(shop_a, schedule_id)
    with tenant_context(shop_a), pytest.raises(recurring.ScheduleError, match="repeats already"):
        recurring.make_recurring(
            copy,
            every=MONTH,
            first_on=utcnow().date() + timedelta(days=1),
            stop_after=None,
            actor_id=None,
        )


def test_stop_once_and_a_stopped_schedule_issues_nothing(
    app_ctx, client, shop_a, member_of_a, no_csrf
):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a))
    path = f"/shop/shop-a/admin/invoice-schedules/{schedule_id}"
    stopped = client.post(f"{path}/stop", follow_redirects=True)
    assert "Schedule stopped" in stopped.get_data(as_text=True)
    again = client.post(f"{path}/stop", follow_redirects=True)
    assert "already stopped" in again.get_data(as_text=True)
    with tenant_context(shop_a):
        db.session.execute(
            sa.update(InvoiceSchedule).values(next_issue_on=utcnow().date() - timedelta(days=3))
        )
        db.session.commit()
    assert run_job(SWEEP, None) == 0
    assert copies(shop_a, schedule_id) == []
    assert "Stopped" in client.get(path).get_data(as_text=True)


# ---------------------------------------------------------------- the job


def test_the_job_issues_and_emails_the_due_invoice_once(app, app_ctx, shop_a):
    clear_outbox(app)
    today = utcnow().date()
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=today)
    assert run_job(SWEEP, None) == 1
    assert run_job(SWEEP, None) == 0  # run twice: nothing more
    made = copies(shop_a, schedule_id)
    assert len(made) == 1
    copy = made[0]
    assert copy.status is SalesStatus.SENT and copy.number and copy.issued_on == today
    assert copy.request_key == recurring.period_key(schedule_id, today)
    number = copy.number
    schedule = load_schedule(shop_a, schedule_id)
    assert schedule.issued_count == 1 and schedule.last_issued_on == today
    assert schedule.next_issue_on == recurring.period_date(today, MONTH, 1)
    sent = [p.read_text() for p in outbox_dir(app).glob("*.eml")]
    assert len([m for m in sent if number in m]) == 1


def test_two_sweeps_before_any_issue_still_issue_once(app, app_ctx, shop_a, monkeypatch):
    today = utcnow().date()
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=today)
    held, dispatch = [], mall.jobs.dispatch
    monkeypatch.setattr(mall.jobs, "dispatch", held.append)  # as if rq had them queued
    run_job(SWEEP, None)
    run_job(SWEEP, None)
    assert [job.ref for job in held].count("mall.orders.entry.jobs_recurring:issue_schedule") == 2
    for job in held:  # ids only: the schedule's id, in its shop's context
        assert job.tenant_id == str(shop_a.id)
        assert all(UUID(str(arg)) for arg in job.args)
    monkeypatch.setattr(mall.jobs, "dispatch", dispatch)
    for job in held:
        run_job(job.ref, job.tenant_id, *job.args)
    assert len(copies(shop_a, schedule_id)) == 1
    assert load_schedule(shop_a, schedule_id).issued_count == 1


def test_missed_periods_are_caught_up_one_invoice_each(app_ctx, shop_a):
    today = utcnow().date()
    first = recurring.add_months(today, -2)
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=first)
    run_job(SWEEP, None)
    made = copies(shop_a, schedule_id)
    periods = [recurring.period_date(first, MONTH, n) for n in range(3)]
    assert [c.request_key for c in made] == [recurring.period_key(schedule_id, p) for p in periods]
    assert len({c.number for c in made}) == 3
    schedule = load_schedule(shop_a, schedule_id)
    assert schedule.issued_count == 3 and schedule.next_issue_on > today


def test_the_sweep_continues_past_a_full_batch_and_skips_suspended_shops(
    app_ctx, shop_a, shop_b, monkeypatch
):
    from mall.orders.entry import jobs_recurring

    today = utcnow().date()
    first = schedule_for(shop_a, issued_invoice(shop_a), first=today)
    second = schedule_for(shop_a, issued_invoice(shop_a, email="e2@example.com"), first=today)
    elsewhere = schedule_for(shop_b, issued_invoice(shop_b), first=today)
    shop_b.status = TenantStatus.SUSPENDED
    db.session.commit()
    monkeypatch.setattr(jobs_recurring, "BATCH", 1)
    run_job(SWEEP, None)
    assert len(copies(shop_a, first)) == len(copies(shop_a, second)) == 1
    assert copies(shop_b, elsewhere) == []


def test_month_ends_hold_through_the_job(app_ctx, shop_a):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=date(2024, 1, 31))
    with tenant_context(shop_a):
        schedule = db.session.get(InvoiceSchedule, (shop_a.id, schedule_id))
        issued = [recurring.issue_due(schedule, today=date(2024, 4, 1)) for _ in range(4)]
        db.session.commit()
    assert issued[3] is None  # April 30 is not due on April 1
    assert [recurring.period_of_key(c.request_key) for c in copies(shop_a, schedule_id)] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]
    assert load_schedule(shop_a, schedule_id).next_issue_on == date(2024, 4, 30)


def test_stop_after_n_invoices(app_ctx, client, shop_a, member_of_a):
    today = utcnow().date()
    first = recurring.add_months(today, -3)
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a), first=first, stop_after=2)
    run_job(SWEEP, None)
    run_job(SWEEP, None)
    assert len(copies(shop_a, schedule_id)) == 2
    assert load_schedule(shop_a, schedule_id).issued_count == 2
    page = client.get(f"/shop/shop-a/admin/invoice-schedules/{schedule_id}")
    assert "Finished" in page.get_data(as_text=True)


def test_a_voided_template_issues_nothing_and_claims_nothing(app_ctx, shop_a):
    invoice_id = issued_invoice(shop_a)
    schedule_id = schedule_for(shop_a, invoice_id, first=utcnow().date())
    with tenant_context(shop_a):
        db.session.get(SalesDocument, (shop_a.id, invoice_id)).status = SalesStatus.VOID
        db.session.commit()
    run_job(SWEEP, None)
    assert copies(shop_a, schedule_id) == []
    assert load_schedule(shop_a, schedule_id).issued_count == 0


# ---------------------------------------------------------------- who sees what


def test_shop_b_schedules_and_invoices_are_404_for_shop_a(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    schedule_b = schedule_for(shop_b, issued_invoice(shop_b))
    invoice_b = issued_invoice(shop_b)
    base = "/shop/shop-a/admin/invoice-schedules"
    assert client.get(f"{base}/{schedule_b}").status_code == 404
    assert client.post(f"{base}/{schedule_b}/stop").status_code == 404
    assert client.get(f"{base}/new/{invoice_b}").status_code == 404
    assert client.post(f"{base}/new/{invoice_b}", data={"every": "month"}).status_code == 404
    assert load_schedule(shop_b, schedule_b).stopped_at is None
    assert "Dora" not in client.get(f"{base}/").get_data(as_text=True)


def test_a_sales_rep_sees_only_their_own_schedules(client, shop_a, make_user, sign_in, no_csrf):
    rep = member(shop_a, make_user, Role.SALES_REP, "rita@example.com")
    other = member(shop_a, make_user, Role.SALES_REP, "sam@example.com")
    mine = issued_invoice(shop_a, email="mine@example.com", name="Mina Mine", by=rep.id)
    theirs = issued_invoice(shop_a, email="theirs@example.com", name="Theo Theirs", by=other.id)
    sign_in(rep)
    base = "/shop/shop-a/admin/invoice-schedules"
    first = (utcnow().date() + timedelta(days=5)).isoformat()
    assert client.post(f"{base}/new/{theirs}", data={"every": "month"}).status_code == 404
    made = client.post(f"{base}/new/{mine}", data={"every": "month", "first_on": first})
    assert made.status_code == 303
    listing = client.get(f"{base}/").get_data(as_text=True)
    assert "Mina Mine" in listing and "Theo" not in listing


def test_the_list_costs_the_same_for_many_schedules(
    app_ctx, client, shop_a, member_of_a, count_queries
):
    schedule_for(shop_a, issued_invoice(shop_a))
    with count_queries() as one:
        assert client.get("/shop/shop-a/admin/invoice-schedules/").status_code == 200
    for n in range(4):
        schedule_for(shop_a, issued_invoice(shop_a, email=f"c{n}@example.com", name=f"C {n}"))
    with count_queries() as five:
        text = client.get("/shop/shop-a/admin/invoice-schedules/").get_data(as_text=True)
    assert "C 3" in text
    assert five.count == one.count


# ---------------------------------------------------------------- two workers at once


@needs_committed_pg
def test_two_workers_issuing_the_same_period_at_once_issue_once(committed_app):
    """Real commits, real threads (PostgreSQL): both read the schedule due, one UPDATE hits."""
    workers = 4
    with committed_app.app_context():
        shop = create_shop(f"repeat-{uuid4().hex[:8]}", name="Repeat", status=TenantStatus.ACTIVE)
        db.session.commit()
        schedule_id = schedule_for(shop, issued_invoice(shop), first=utcnow().date())
        shop_id = shop.id
    start = threading.Barrier(workers)
    issued, errors = [], []

    def worker() -> None:
        try:
            with committed_app.app_context(), tenant_context(shop_id):
                schedule = recurring.get_schedule(schedule_id)
                assert recurring.is_due(schedule, today=utcnow().date())
                start.wait()
                issued.append(recurring.issue_due(schedule))
                db.session.commit()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len([copy for copy in issued if copy is not None]) == 1
    with committed_app.app_context(), tenant_context(shop_id):
        made = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SalesDocument)
            .where(SalesDocument.schedule_id == schedule_id)
        )
        assert made == 1
        assert recurring.get_schedule(schedule_id).issued_count == 1


def test_staff_without_invoices_manage_are_refused(client, shop_a, make_user, sign_in, no_csrf):
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a))
    sign_in(member(shop_a, make_user, Role.STAFF, "stan@example.com"))
    base = "/shop/shop-a/admin/invoice-schedules"
    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/{schedule_id}").status_code == 403
    assert client.post(f"{base}/{schedule_id}/stop").status_code == 403


def test_a_form_without_its_csrf_token_changes_nothing(client, shop_a, member_of_a):
    invoice_id = issued_invoice(shop_a)
    base = "/shop/shop-a/admin/invoice-schedules"
    made = client.post(
        f"{base}/new/{invoice_id}", data={"every": "month", "first_on": "2030-01-01"}
    )
    assert made.status_code == 400
    schedule_id = schedule_for(shop_a, issued_invoice(shop_a, email="x@example.com"))
    assert client.post(f"{base}/{schedule_id}/stop").status_code == 400
    assert load_schedule(shop_a, schedule_id).stopped_at is None
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvoiceSchedule)) == 1
