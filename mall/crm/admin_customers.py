"""A shop's customers in its back office, /shop/<slug>/admin/customers/ (``customers_admin``).

Only people who ordered from the shop or wrote to it are listed: name, email
(both sealed), orders, lifetime value, last order, tags. A customer is searched
for by email through a POST whose redirect carries the blind index only, never
the address. The notes and tags are the staff's (``customers.view``); the CSV
of everything the shop holds needs ``customers.export``. Customers are read by
id through the tenant guard, so another shop's ids answer 404.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.crm import customers as services
from mall.crm import forms
from mall.crm.errors import CrmError
from mall.crm.messages import Viewer, thread_list
from mall.crm.models import CrmCustomer
from mall.db import utcnow
from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.orders.queries import customer_token as orders_token
from mall.pagination import decode_position
from mall.shops.permissions import can, requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "customers_admin",
    __name__,
    admin=True,
    url_prefix="/admin/customers",
    template_folder="templates",
)

PER_PAGE = 25
_TOKEN = re.compile(r"[0-9a-f]{64}\Z")


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


def crm_helpers() -> dict[str, Any]:
    """What the CRM's back-office templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "reveal": reveal,
        "status_label": lambda status: forms.STATUS_LABELS.get(status, str(status)),
    }


bp.context_processor(crm_helpers)


def _email_token(raw: str | None) -> bytes | None:
    return bytes.fromhex(raw) if raw and _TOKEN.match(raw) else None


@bp.get("/")
@requires("customers.view")
def customers() -> ResponseReturnValue:
    """The shop's customers, most recently active first (``?customer=`` an email's index)."""
    return _list_page(forms.CustomerSearchForm(formdata=None))


def _list_page(search: forms.CustomerSearchForm, *, status: int = 200) -> ResponseReturnValue:
    raw = request.args.get("customer")
    token = _email_token(raw)
    listing = services.customer_list(
        email_token=token,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
        per_page=PER_PAGE,
    )
    return render_template(
        "crm/admin/customers.html",
        listing=listing,
        search=search,
        searched=token is not None,
        customer_arg=raw if token else None,
    ), status


@bp.post("/find")
@requires("customers.view")
def find_customer() -> ResponseReturnValue:
    """A customer by email: posted, then listed by the blind index alone (never the address)."""
    search = forms.CustomerSearchForm()
    if not search.validate():
        return _list_page(search, status=422)
    return redirect(
        url_for("customers_admin.customers", customer=services.customer_token(search.email.data)),
        303,
    )


@bp.get("/export.csv")
@requires("customers.export")
def customers_csv() -> ResponseReturnValue:
    """Everything the shop holds about its customers as CSV (formula-safe), in batches."""
    chunks = [services.csv_header()]
    after = None
    while True:
        batch = services.csv_batch(after=after)
        chunks.append(batch.text)
        if batch.after is None:
            break
        after = batch.after
    name = f"{g.shop.slug}-customers-{utcnow():%Y-%m-%d}.csv"
    return Response(
        "".join(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # personal data: never kept by a cache
        },
    )


@bp.get("/<uuid:customer_id>")
@requires("customers.view")
def customer(customer_id: UUID) -> ResponseReturnValue:
    """One customer: contact, totals, the staff's notes and tags, and their conversations."""
    found = get_or_404(services.get_customer, customer_id)
    return _customer_page(found, forms.NotesForm(formdata=None, **_notes_data(found)))


def _notes_data(found: CrmCustomer) -> dict[str, str]:
    return {"notes": reveal(found, "notes") or "", "tags": found.tags}


def _customer_page(
    found: CrmCustomer, notes: forms.NotesForm, *, status: int = 200
) -> ResponseReturnValue:
    threads = thread_list(viewer=Viewer.of(g.membership), customer_id=found.id, per_page=50)
    email = reveal(found, "email")
    orders_link = None
    if member_can("orders.view") and found.orders_count and email and email[0] != "[":
        orders_link = url_for("orders_admin.orders", customer=orders_token(email))
    return render_template(
        "crm/admin/customer.html",
        customer=found,
        notes=notes,
        threads=threads,
        orders_link=orders_link,
    ), status


@bp.post("/<uuid:customer_id>/notes")
@requires("customers.view")
def save_notes(customer_id: UUID) -> ResponseReturnValue:
    """Save the staff's notes and tags about a customer."""
    found = get_or_404(services.get_customer, customer_id)
    notes = forms.NotesForm()
    if not notes.validate():
        return _customer_page(found, notes, status=422)
    try:
        changed = services.update_notes(
            found, notes=notes.notes.data or "", tags=notes.tags.data or ""
        )
        db.session.commit()
    except CrmError as refused:
        db.session.rollback()
        notes.tags.errors = [str(refused)]
        return _customer_page(found, notes, status=422)
    if changed:
        flash("Notes and tags saved.", "success")
    else:
        flash("These notes and tags were already saved: nothing changed.", "info")
    return redirect(url_for("customers_admin.customer", customer_id=found.id), 303)
