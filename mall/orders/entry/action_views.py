"""The moves of one quote or invoice (send, accept, convert, void, mark paid) on the
``order_entry`` blueprint: each one service, safe to repeat, said on the document's page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.extensions import db
from mall.orders.entry import forms, lifecycle, payment, shortage
from mall.orders.entry.admin_views import bp, document_or_404, document_page, void_words
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.errors import OrderError
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires


def _act(
    found: SalesDocument, action: Any, *, done: str | Callable[[], str], repeat: str
) -> ResponseReturnValue:
    """Run one service, commit, and say what happened on the document's page."""
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return redirect(url_for("order_entry.document", sales_id=found.id), 303)
    try:
        changed = action()
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("order_entry.document", sales_id=found.id), 303)
    if changed is False:
        flash(repeat, "info")
    else:
        flash(done if isinstance(done, str) else done(), "success")
    target = changed if isinstance(changed, SalesDocument) else found
    return redirect(url_for("order_entry.document", sales_id=target.id), 303)


def _label(found: SalesDocument) -> str:
    what = "Quote" if found.kind is SalesKind.QUOTE else "Invoice"
    return f"{what} {found.number}" if found.number else f"The {what.lower()}"


@bp.post("/<uuid:sales_id>/send")
@requires("orders.enter")
def send(sales_id: UUID) -> ResponseReturnValue:
    """Email the quote (numbered now), or issue and email the invoice with its pay link."""
    found = document_or_404(sales_id)
    if found.kind is SalesKind.INVOICE and not member_can("invoices.manage"):
        abort(403)
    return _act(
        found,
        lambda: lifecycle.send_document(found, actor_id=current_user.id),
        done="Sent: the customer is emailed.",
        repeat="",
    )


@bp.post("/<uuid:sales_id>/accept")
@requires("orders.enter")
def accept(sales_id: UUID) -> ResponseReturnValue:
    """The customer accepted the quote (on the phone, by email)."""
    found = document_or_404(sales_id)
    return _act(
        found,
        lambda: lifecycle.accept_quote(found, actor_id=current_user.id),
        done="Quote marked accepted.",
        repeat="This quote was already accepted: nothing changed.",
    )


@bp.post("/<uuid:sales_id>/convert")
@requires("orders.enter")
def convert(sales_id: UUID) -> ResponseReturnValue:
    """Make a draft invoice from the quote (once); a repeat says which invoice it became."""
    found = document_or_404(sales_id)
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return redirect(url_for("order_entry.document", sales_id=found.id), 303)
    key = f"convert-{found.id.hex}"[:40]
    try:
        invoice, made = lifecycle.convert_quote_once(
            found, actor_id=current_user.id, request_key=key
        )
        db.session.commit()
    except OrderError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("order_entry.document", sales_id=found.id), 303)
    if made:
        flash("Invoice draft made from the quote: check it, then issue it.", "success")
        return redirect(url_for("order_entry.document", sales_id=invoice.id), 303)
    became = f"invoice {invoice.number}" if invoice.number else "an invoice draft"
    # Back on the quote's page, whose "Invoiced as" links to that invoice.
    flash(f"{_label(found)} was already turned into {became}: nothing new was made.", "info")
    return redirect(url_for("order_entry.document", sales_id=found.id), 303)


@bp.post("/<uuid:sales_id>/void")
@requires("invoices.manage")
def void(sales_id: UUID) -> ResponseReturnValue:
    """Void an unpaid quote or invoice once staff ticked "Yes, void …": its pay link stops
    working, its number stays used."""
    found = document_or_404(sales_id)
    if request.form.get("confirm") != "yes" and found.status is not SalesStatus.VOID:
        if not forms.ActionForm().validate():
            flash(forms.EXPIRED, "error")
            return redirect(url_for("order_entry.document", sales_id=found.id), 303)
        return document_page(
            found, status=400, void_error=f"Tick “{void_words(found)}” to void it."
        )
    return _act(
        found,
        lambda: lifecycle.void_document(found, actor_id=current_user.id),
        done=f"{_label(found)} is void: its pay link no longer works.",
        repeat=f"{_label(found)} was already void: nothing changed.",
    )


@bp.post("/<uuid:sales_id>/mark-paid")
@requires("invoices.manage")
def mark_paid(sales_id: UUID) -> ResponseReturnValue:
    """The customer's bank transfer arrived: the invoice's order is placed and paid, once."""
    found = document_or_404(sales_id)
    return _act(
        found,
        lambda: payment.mark_paid_by_transfer(found, shop=g.shop, actor_id=current_user.id),
        done=lambda: shortage.paid_message(found),
        repeat=f"{_label(found)} was already paid: nothing changed.",
    )
