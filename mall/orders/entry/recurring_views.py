"""Recurring invoices' pages, /shop/<slug>/admin/invoice-schedules/ (``invoice_schedules``).

"Make recurring" on an issued invoice (``new``), the list of schedules, one page per
schedule with the invoices it issued, and Stop. Members with ``invoices.manage``;
a sales rep sees only the schedules they made (as on the Sales pages; managers see
all). Another shop's ids, or another rep's, answer 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import DateInput

from mall.db import utcnow
from mall.extensions import db
from mall.money import format_money
from mall.numbers import NumberError, parse_whole
from mall.orders.entry import jobs_recurring, recurring
from mall.orders.entry.admin_views import rep_id
from mall.orders.entry.models import InvoiceSchedule, SalesDocument, ScheduleEvery
from mall.orders.entry.services import visible_document
from mall.orders.errors import OrderError
from mall.pagination import page_number
from mall.schedule import add_periodic
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.guard import scoped_get
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "invoice_schedules",
    __name__,
    admin=True,
    url_prefix="/admin/invoice-schedules",
    template_folder="../templates",
)

PER_PAGE = 25
EXPIRED = "The form expired: reload the page and try again."
STATUS_LABELS = {"active": "Active", "finished": "Finished", "stopped": "Stopped"}


# ---------------------------------------------------------------- forms


def _first_date(form: FlaskForm, field: StringField) -> None:
    try:
        field.parsed = date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError("Enter a date as YYYY-MM-DD.") from None
    message = recurring.check_first_date(field.parsed, today=utcnow().date())
    if message:
        raise ValidationError(message)


def _stop_after(form: FlaskForm, field: StringField) -> None:
    field.parsed = None
    if (field.data or "").strip():
        try:
            field.parsed = parse_whole(field.data, minimum=1, maximum=recurring.MAX_STOP_AFTER)
        except NumberError as wrong:
            raise ValidationError(f"{wrong} Or leave it empty: until stopped.") from None


class ScheduleForm(FlaskForm):
    """How often the invoice repeats, from when, and for how many invoices."""

    every = SelectField(
        "Repeat",
        choices=[SelectChoice(e.value, label) for e, label in recurring.EVERY_LABELS.items()],
    )
    first_on = StringField("First new invoice on", widget=DateInput(), validators=[_first_date])
    stop_after = StringField("Stop after this many invoices (optional)", validators=[_stop_after])


class ActionForm(FlaskForm):
    """A button with only its CSRF token."""


# ---------------------------------------------------------------- helpers


@bp.context_processor
def schedule_helpers() -> dict[str, Any]:
    """What the schedule templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "reveal": reveal,
        "every_label": lambda every: recurring.EVERY_LABELS.get(every, str(every)),
        "schedule_status_label": lambda status: STATUS_LABELS.get(status, status),
    }


def _own_only() -> UUID | None:
    """The member whose schedules alone may be seen (a sales rep), or None: all of them."""
    return rep_id()


def _schedule_or_404(schedule_id: UUID) -> InvoiceSchedule:
    found = recurring.get_schedule(schedule_id)
    own = _own_only()
    if found is None or (own is not None and found.created_by_id != own):
        abort(404)
    return found


def _template_or_404(template_id: UUID) -> SalesDocument:
    found = visible_document(template_id, rep_id=_own_only())
    if found is None:
        abort(404)
    return found


# ---------------------------------------------------------------- pages


@bp.get("/")
@requires("invoices.manage")
def schedules() -> ResponseReturnValue:
    """The shop's recurring invoices, newest first, a page at a time."""
    listing = recurring.schedule_list(
        page=page_number(request.args.get("page")), per_page=PER_PAGE, created_by_id=_own_only()
    )
    return render_template(
        "orders/entry/recurring/list.html", listing=listing, action_form=ActionForm(formdata=None)
    )


def _new_page(
    template: SalesDocument, form: ScheduleForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "orders/entry/recurring/new.html",
        template=template,
        form=form,
        existing=recurring.schedule_of(template),
        total=format_money(template.total, code=template.currency),
    ), status


@bp.route("/new/<uuid:template_id>", methods=["GET", "POST"])
@requires("invoices.manage")
def new(template_id: UUID) -> ResponseReturnValue:
    """Make an issued invoice repeat: every month, quarter or year from a first date."""
    template = _template_or_404(template_id)
    if request.method == "GET":
        first = recurring.first_date_after(
            template.issued_on or utcnow().date(), ScheduleEvery.MONTH, today=utcnow().date()
        )
        form = ScheduleForm(formdata=None, every="month", first_on=first.isoformat())
        return _new_page(template, form)
    form = ScheduleForm()
    if not form.validate():
        return _new_page(template, form, 400 if "csrf_token" in form.errors else 422)
    try:
        schedule = recurring.make_recurring(
            template,
            every=ScheduleEvery(form.every.data),
            first_on=form.first_on.parsed,
            stop_after=form.stop_after.parsed,
            actor_id=current_user.id,
        )
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        existing = recurring.schedule_of(template)
        flash(str(refused), "error")
        if existing is not None:
            return redirect(url_for(".detail", schedule_id=existing.id), 303)
        return _new_page(template, form, 409)
    flash(f"Invoice {template.number} repeats from {schedule.next_issue_on}.", "success")
    return redirect(url_for(".detail", schedule_id=schedule.id), 303)


@bp.get("/<uuid:schedule_id>")
@requires("invoices.manage")
def detail(schedule_id: UUID) -> ResponseReturnValue:
    """One schedule: its terms, its status and the invoices it issued."""
    schedule = _schedule_or_404(schedule_id)
    return render_template(
        "orders/entry/recurring/detail.html",
        schedule=schedule,
        status=recurring.status_of(schedule),
        template=scoped_get(SalesDocument, schedule.template_id),
        issued=recurring.issued_by(
            schedule, page=page_number(request.args.get("page")), per_page=PER_PAGE
        ),
        action_form=ActionForm(formdata=None),
        money=format_money,
    )


@bp.post("/<uuid:schedule_id>/stop")
@requires("invoices.manage")
def stop(schedule_id: UUID) -> ResponseReturnValue:
    """Stop a schedule: it issues no more invoices (the ones issued stay as they are)."""
    schedule = _schedule_or_404(schedule_id)
    if not ActionForm().validate():
        flash(EXPIRED, "error")
        return redirect(url_for(".detail", schedule_id=schedule.id), 303)
    if recurring.stop_schedule(schedule, actor_id=current_user.id):
        db.session.commit()
        flash("Schedule stopped: it issues no more invoices.", "success")
    else:
        db.session.rollback()
        flash("This schedule was already stopped: nothing changed.", "info")
    return redirect(url_for(".detail", schedule_id=schedule.id), 303)


# ---------------------------------------------------------------- wiring


def wire_recurring(app: Flask) -> None:
    """Register the schedules' pages, the invoice page's partial's helper and the jobs."""
    app.register_blueprint(bp)
    app.add_template_global(recurring.schedule_of, "invoice_schedule_of")
    add_periodic(app, jobs_recurring.issue_due_invoices, interval=jobs_recurring.SCHEDULES_INTERVAL)
    add_periodic(
        app, jobs_recurring.remind_overdue_invoices, interval=jobs_recurring.REMINDERS_INTERVAL
    )
