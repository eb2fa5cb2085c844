"""A shop's conversations with its customers, /shop/<slug>/admin/messages/ (``messages_admin``).

Owners and managers see every thread and assign it to anyone; staff and sales
reps see the threads assigned to them or to nobody, answer them and take them
(``messages.answer``). A thread they may not see answers 404, as another shop's
does. Each action is safe to repeat: an answer carries its form's key (one
message per form), a status or an assignment already set changes nothing.
"""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import SelectChoice

from mall.crm import forms, messages
from mall.crm.admin_customers import crm_helpers
from mall.crm.errors import CrmError
from mall.crm.models import CrmThread, ThreadStatus
from mall.extensions import db
from mall.pagination import decode_position
from mall.shops.permissions import requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "messages_admin",
    __name__,
    admin=True,
    url_prefix="/admin/messages",
    template_folder="templates",
)
bp.context_processor(crm_helpers)

PER_PAGE = 25
STATUSES = {status.value: status for status in ThreadStatus}


def _viewer() -> messages.Viewer:
    return messages.Viewer.of(g.membership)


def _thread_or_404(thread_id: UUID) -> CrmThread:
    found = messages.visible_thread(thread_id, viewer=_viewer())
    if found is None:
        abort(404)
    return found


@bp.get("/")
@requires("messages.answer")
def threads() -> ResponseReturnValue:
    """The conversations this member may see, latest message first (``?status=`` filters)."""
    status = STATUSES.get(request.args.get("status", ""))
    listing = messages.thread_list(
        viewer=_viewer(),
        status=status,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
        per_page=PER_PAGE,
    )
    return render_template(
        "crm/admin/threads.html",
        listing=listing,
        customers=messages.customers_of(listing.items),
        status=status.value if status else "",
    )


def _assign_form(thread: CrmThread, *, formdata: bool = False) -> forms.AssignForm:
    form = forms.AssignForm() if formdata else forms.AssignForm(formdata=None)
    viewer = _viewer()
    members = messages.members(g.shop.id)
    choices = [SelectChoice("", "Nobody")]
    for user_id, user in members:
        if viewer.sees_all or user_id == viewer.user_id:
            label = reveal(user, "name") or reveal(user, "email") or "A member"
            choices.append(SelectChoice(user_id.hex, label))
    form.assignee.choices = choices
    if not formdata:
        form.assignee.data = thread.assignee_id.hex if thread.assignee_id else ""
    return form


def _thread_page(
    thread: CrmThread, *, reply: forms.ReplyForm | None = None, status: int = 200
) -> ResponseReturnValue:
    shown = messages.thread_messages(thread)
    return render_template(
        "crm/admin/thread.html",
        thread=thread,
        customer=messages.thread_customer(thread),
        messages=shown,
        authors=messages.authors_of(shown),
        reply=reply or forms.ReplyForm.fresh(),
        status_form=forms.StatusForm(formdata=None, status=thread.status.value),
        assign=_assign_form(thread),
    ), status


@bp.get("/<uuid:thread_id>")
@requires("messages.answer")
def thread(thread_id: UUID) -> ResponseReturnValue:
    """One conversation: its messages, the answer form, its status and who has it."""
    return _thread_page(_thread_or_404(thread_id))


def _back(thread: CrmThread) -> ResponseReturnValue:
    return redirect(url_for("messages_admin.thread", thread_id=thread.id), 303)


@bp.post("/<uuid:thread_id>/reply")
@requires("messages.answer")
def reply(thread_id: UUID) -> ResponseReturnValue:
    """Answer the customer: they are emailed a link to read it."""
    found = _thread_or_404(thread_id)
    form = forms.ReplyForm()
    if not form.validate():
        if form.key.errors:
            flash(forms.EXPIRED, "error")
            return _back(found)
        return _thread_page(found, reply=form, status=422)
    try:
        added = messages.staff_reply(
            found, body=form.body.data, key=form.key.data, author_id=current_user.id
        )
        db.session.commit()
    except CrmError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(found)
    if added:
        flash("Answer sent: the customer is emailed a link to read it.", "success")
    else:
        flash("This answer was already sent: nothing changed.", "info")
    return _back(found)


@bp.post("/<uuid:thread_id>/status")
@requires("messages.answer")
def set_status(thread_id: UUID) -> ResponseReturnValue:
    """Mark the conversation open, waiting for the customer, or closed."""
    found = _thread_or_404(thread_id)
    form = forms.StatusForm()
    if not form.validate():
        flash("Choose a status from the list.", "error")
        return _back(found)
    status = ThreadStatus(form.status.data)
    changed = messages.set_status(found, status)
    db.session.commit()
    label = forms.STATUS_LABELS[status]
    if changed:
        flash(f"The conversation is now: {label}.", "success")
    else:
        flash(f"The conversation was already: {label}.", "info")
    return _back(found)


@bp.post("/<uuid:thread_id>/assign")
@requires("messages.answer")
def assign(thread_id: UUID) -> ResponseReturnValue:
    """Give the conversation to a member (managers: anyone; others: themselves) or nobody."""
    found = _thread_or_404(thread_id)
    form = _assign_form(found, formdata=True)
    if not form.validate():
        flash("Choose someone from the list.", "error")
        return _back(found)
    assignee = UUID(hex=form.assignee.data) if form.assignee.data else None
    try:
        changed = messages.assign(found, assignee, viewer=_viewer())
        db.session.commit()
    except CrmError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(found)
    if not changed:
        flash("The conversation already was with them: nothing changed.", "info")
    elif messages.may_see(found, viewer=_viewer()):
        flash("Assignment saved.", "success")
    else:  # given to someone else: this member no longer sees it
        flash("Assignment saved.", "success")
        return redirect(url_for("messages_admin.threads"), 303)
    return _back(found)
