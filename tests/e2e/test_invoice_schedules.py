"""A shop's owner makes an issued invoice repeat every quarter, the hourly job issues the due
one, the schedule page lists it, and the owner stops the schedule."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from tests.e2e.journeys import make_person, sign_in


def shop_invoice(live_app, slug: str):
    """An issued invoice of the shop ``slug`` (committed): its id."""
    import sqlalchemy as sa

    from mall.extensions import db
    from tenants.models import Tenant
    from tests.crawl.invoice_schedules import issued_invoice

    with live_app.app_context():
        shop = db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
        return issued_invoice(shop, email="quinn@example.com", name="Quinn Quarterly")


def make_due_today(live_app) -> None:
    """The days go by: every schedule of the live app is due (then the hourly job runs)."""
    import sqlalchemy as sa

    from mall.db import utcnow
    from mall.extensions import db
    from mall.jobs import run_job
    from mall.orders.entry.models import InvoiceSchedule
    from tenants.context import all_tenants

    with live_app.app_context():
        with all_tenants("test: the days go by"):
            db.session.execute(
                sa.update(InvoiceSchedule)
                .where(InvoiceSchedule.stopped_at.is_(None))
                .values(next_issue_on=utcnow().date())
            )
        db.session.commit()
        run_job("mall.orders.entry.jobs_recurring:issue_due_invoices", None, app=live_app)


def test_an_owner_makes_an_invoice_repeat_and_stops_it(page, live_app):
    suffix = uuid4().hex[:8]
    slug, owner = f"rec-{suffix}", f"owner-{suffix}@example.com"
    make_person(live_app, owner, name="Rex Owner", owns=(slug, f"Plans {suffix}"))
    invoice_id = shop_invoice(live_app, slug)

    sign_in(page, owner)
    page.goto(f"/shop/{slug}/admin/invoice-schedules/new/{invoice_id}")
    expect(
        page.get_by_role("heading", name=re.compile(r"^Make invoice .+ recurring$"))
    ).to_be_visible()
    page.get_by_label("Repeat").select_option("quarter")
    page.get_by_label("Stop after this many invoices (optional)").fill("4")
    page.get_by_role("button", name="Make recurring").click()
    expect(page.get_by_text(re.compile(r"repeats from"))).to_be_visible()
    expect(page.get_by_text("Every quarter")).to_be_visible()

    make_due_today(live_app)
    page.reload()
    expect(page.get_by_text("1 of 4")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Sent")

    page.get_by_role("link", name="← Recurring invoices").click()
    expect(page.get_by_role("link", name="Quinn Quarterly")).to_be_visible()
    page.get_by_role("link", name="Quinn Quarterly").click()
    page.get_by_role("button", name="Stop this schedule").click()
    expect(page.get_by_text("Schedule stopped: it issues no more invoices.")).to_be_visible()
    expect(page.get_by_text("Stopped", exact=True).first).to_be_visible()
