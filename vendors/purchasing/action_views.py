"""The PO page's actions (blueprint ``purchasing``): send, resend, mark sent, cancel, close,
close short, receive, and the draft's lines and note.

Each: validate -> one service -> commit or rollback -> flash -> 303 to the PO's page.
A repeat (a double click, a stale page) changes nothing and says so; a refused move
re-renders the page with the message and a 409; a typed value out of range re-renders
with what was typed and the message at its field (422).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.extensions import db
from mall.shops.permissions import requires
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder
from vendors.purchasing import drafts, forms, lifecycle, receiving, services, wording
from vendors.purchasing.admin_views import PERMISSION, bp, po_or_404, po_page
from vendors.purchasing.status import allowed as po_allowed
from vendors.purchasing.status import label


def _back(po: PurchaseOrder) -> ResponseReturnValue:
    return redirect(url_for("purchasing.order", po_id=po.id), 303)


def _stale(po: PurchaseOrder) -> ResponseReturnValue:
    flash(f"{po.number} is already {label(po.status)}: nothing changed.", "info")
    return _back(po)


def _move(
    po_id: UUID, service: Callable[[PurchaseOrder], bool], done: str, form: type = forms.ActionForm
) -> ResponseReturnValue:
    """A button's move: ``service(po)`` True -> commit and ``done``; False -> a repeat."""
    po = po_or_404(po_id)
    if not form().validate():
        flash(forms.EXPIRED, "error")
        return _back(po)
    try:
        moved = service(po)
    except PurchasingError as error:
        db.session.rollback()
        return po_page(po_or_404(po_id), error=str(error), status=409)
    if not moved:
        db.session.rollback()
        return _stale(po)
    db.session.commit()
    flash(done.format(number=po.number), "success")
    return _back(po)


@bp.post("/<uuid:po_id>/send")
@requires(PERMISSION)
def send(po_id: UUID) -> ResponseReturnValue:
    """Email the draft to its vendor (HTML and PDF, with the vendor's link)."""
    return _move(
        po_id,
        lambda po: services.send_purchase_order(po, actor_id=current_user.id),
        "{number} sent: the vendor is emailed the purchase order.",
    )


@bp.post("/<uuid:po_id>/resend")
@requires(PERMISSION)
def resend(po_id: UUID) -> ResponseReturnValue:
    """Email a sent PO again under a new link (the vendor's earlier link stops working)."""
    form = forms.ResendForm()
    version = form.link_version.data if form.validate() else None
    if version is None:
        flash(forms.EXPIRED, "error")
        return _back(po_or_404(po_id))
    return _move(
        po_id,
        lambda po: services.send_purchase_order(po, actor_id=current_user.id, link_version=version),
        "{number} sent again: the vendor's earlier link no longer works.",
        form=forms.ActionForm,
    )


@bp.post("/<uuid:po_id>/mark-sent")
@requires(PERMISSION)
def mark_sent(po_id: UUID) -> ResponseReturnValue:
    """The PO was ordered by phone or another way: sent, without an email."""
    return _move(
        po_id,
        lambda po: services.mark_sent(po, actor_id=current_user.id),
        "{number} marked as sent (no email).",
    )


def _asked_first(po_id: UUID, action: str) -> ResponseReturnValue | None:
    """The page asking once what ``action`` gives up, unless this post confirms it (or the
    move can no longer happen: then the move itself says why)."""
    po = po_or_404(po_id)
    form = forms.ConfirmForm()
    if not form.validate() or form.confirm.data == "yes" or not po_allowed(po, action):
        return None
    return po_page(po, confirming=wording.confirmation(po, action))


@bp.post("/<uuid:po_id>/cancel")
@requires(PERMISSION)
def cancel(po_id: UUID) -> ResponseReturnValue:
    """Cancel a draft or a sent PO on which nothing was received or billed (asked once)."""
    asking = _asked_first(po_id, "cancel")
    if asking is not None:
        return asking
    return _move(
        po_id,
        lambda po: lifecycle.cancel_purchase_order(po, actor_id=current_user.id),
        "{number} cancelled.",
    )


@bp.post("/<uuid:po_id>/close")
@requires(PERMISSION)
def close(po_id: UUID) -> ResponseReturnValue:
    """Close a fully received PO."""
    return _move(
        po_id,
        lambda po: lifecycle.close_purchase_order(po, actor_id=current_user.id),
        "{number} closed.",
    )


@bp.post("/<uuid:po_id>/close-short")
@requires(PERMISSION)
def close_short(po_id: UUID) -> ResponseReturnValue:
    """Close a PO whose rest will not come: what is missing is marked closed (asked once)."""
    asking = _asked_first(po_id, "close_short")
    if asking is not None:
        return asking
    return _move(
        po_id,
        lambda po: receiving.close_short(po, actor_id=current_user.id),
        "{number} closed short: what did not arrive will not be expected.",
    )


@bp.post("/<uuid:po_id>/receive")
@requires(PERMISSION)
def receive(po_id: UUID) -> ResponseReturnValue:
    """Goods arrived: packs per line into stock, once per form."""
    po = po_or_404(po_id)
    form = forms.ReceiveForm()
    typed = forms.Typed()
    packs = forms.line_numbers(request.form, [line.id for line in po.lines], typed)
    if not form.validate() or typed.errors:
        return po_page(po, receive_form=form, received=typed, status=422)
    try:
        receipt = receiving.receive(
            po,
            quantities=packs,
            receipt_key=form.key.data,
            actor_id=current_user.id,
            note=form.note.data or "",
        )
        db.session.commit()
    except PurchasingError as error:
        db.session.rollback()
        return po_page(
            po_or_404(po_id), error=str(error), receive_form=form, received=typed, status=409
        )
    units = wording.count(sum(line.units for line in receipt.lines), "unit")
    flash(f"Received {units} into stock. {po.number} is {label(po.status)}.", "success")
    return _back(po)


@bp.post("/<uuid:po_id>/lines")
@requires(PERMISSION)
def update_lines(po_id: UUID) -> ResponseReturnValue:
    """Save the draft's packs and costs; packs 0 removes a line, after listing it once."""
    po = po_or_404(po_id)
    form = forms.LinesForm()
    typed = forms.Typed()
    changes = forms.line_changes(request.form, [line.id for line in po.lines], typed)
    if not form.validate() or typed.errors:
        return po_page(po, lines_typed=typed, status=422)
    going = drafts.removals(po, changes)
    if going and form.confirm.data != "yes":
        return po_page(po, lines_typed=typed, removing=going)
    try:
        drafts.update_lines(po, changes, actor_id=current_user.id, confirmed=bool(going))
        db.session.commit()
    except PurchasingError as error:
        db.session.rollback()
        return po_page(po_or_404(po_id), error=str(error), lines_typed=typed, status=409)
    flash("Lines saved.", "success")
    return _back(po)


@bp.post("/<uuid:po_id>/lines/add")
@requires(PERMISSION)
def add_line(po_id: UUID) -> ResponseReturnValue:
    """Add what the vendor supplies to the draft."""
    po = po_or_404(po_id)
    form = forms.AddLineForm()
    parsed = form.parsed() if form.validate() else None
    if parsed is None:
        return po_page(po, add_form=form, status=422)
    try:
        item = services.PoLineInput(UUID(form.variant.data), *parsed)
        drafts.add_line(po, item, actor_id=current_user.id)
        db.session.commit()
    except (PurchasingError, ValueError) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, PurchasingError) else "Choose a product."
        form.variant.errors = [message]
        return po_page(po_or_404(po_id), add_form=form, status=409)
    flash("Line added.", "success")
    return _back(po)


@bp.post("/<uuid:po_id>/note")
@requires(PERMISSION)
def update_note(po_id: UUID) -> ResponseReturnValue:
    """The draft's note to the vendor."""
    po = po_or_404(po_id)
    form = forms.NoteForm()
    if not form.validate():
        return po_page(po, note_form=form, status=422)
    try:
        drafts.update_note(po, form.note.data or "", actor_id=current_user.id)
        db.session.commit()
    except PurchasingError as error:
        db.session.rollback()
        return po_page(po_or_404(po_id), error=str(error), note_form=form, status=409)
    flash("Note saved.", "success")
    return _back(po)
