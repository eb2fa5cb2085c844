"""Customers write to shops: ``crm`` (signed links, outside any shop) and ``crm_shop``.

- ``/shop/<slug>/contact``: the shop's contact form. Signed in, the message goes
  from the account's email and opens the thread at once; otherwise the thread's
  link is emailed to the address given (whoever typed it reads nothing more).
- ``/orders/<token>/contact``: write about an order from its tracking page; the
  tracking token proves the order is theirs, so the thread opens at once.
- ``/messages/<token>``: the thread behind its signed link: read and answer.

Posts are rate-limited per address (``CONTACT_LIMIT``); pages are ``no-store``
and ``noindex``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.crm import forms, messages
from mall.crm.errors import CrmError
from mall.crm.models import CrmThread
from mall.crm.tokens import find_thread, thread_token
from mall.extensions import db, limiter
from mall.orders.tracking_views import private, tracked_or_404
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.resolution import shop_blueprint

bp = Blueprint("crm", __name__, template_folder="templates")
shop_bp = shop_blueprint("crm_shop", __name__, url_prefix="/contact", template_folder="templates")

CONTACT_LIMIT = "10 per minute;60 per hour"  # per IP, on posts only


def _thread_or_404(token: str) -> CrmThread:
    found = find_thread(token)
    if found is None:
        abort(404)
    host_shop = request.environ.get("mall.host_shop")
    if host_shop is not None:
        shop = db.session.get(Tenant, found.tenant_id)
        if shop is None or shop.slug != host_shop:
            abort(404)  # another shop's host serves its own threads only
    return found


def _to_thread(thread: CrmThread) -> ResponseReturnValue:
    return redirect(url_for("crm.thread", token=thread_token(thread)), 303)


@bp.route("/messages/<token>", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def thread(token: str) -> ResponseReturnValue:
    """The customer's view of a conversation: every message, and a form to answer."""
    found = _thread_or_404(token)
    with tenant_context(found.tenant_id):
        form = forms.ReplyForm() if request.method == "POST" else forms.ReplyForm.fresh()
        status = 200
        if request.method == "POST":
            if form.validate():
                try:
                    added = messages.customer_reply(found, body=form.body.data, key=form.key.data)
                    db.session.commit()
                except CrmError as refused:
                    db.session.rollback()
                    flash(str(refused), "error")
                else:
                    if added:
                        flash("Your answer is sent.", "success")
                    else:
                        flash("This answer was already sent.", "info")
                return _to_thread(found)
            if form.key.errors:
                flash(forms.EXPIRED, "error")
                return _to_thread(found)
            status = 422
        shop = db.session.get(Tenant, found.tenant_id)
        html = render_template(
            "crm/thread.html",
            thread=found,
            shop=shop,
            messages=messages.thread_messages(found),
            form=form,
            token=token,
        )
    return private((html, status))


@bp.route("/orders/<token>/contact", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def order_contact(token: str) -> ResponseReturnValue:
    """Write to the shop about an order, from its tracking page (the token is the proof)."""
    order = tracked_or_404(token)
    with tenant_context(order.tenant_id):
        form = (
            forms.OrderMessageForm() if request.method == "POST" else forms.OrderMessageForm.fresh()
        )
        status = 200
        if request.method == "POST":
            if form.validate():
                try:
                    started, _ = messages.start_thread(
                        order.email,
                        body=form.body.data,
                        key=form.key.data,
                        order=order,
                        user_id=order.user_id,
                    )
                    db.session.commit()
                except CrmError as refused:
                    db.session.rollback()
                    flash(str(refused), "error")
                    return redirect(url_for("crm.order_contact", token=token), 303)
                flash(
                    "Your message is sent. We also emailed you a link to this conversation.",
                    "success",
                )
                return _to_thread(started)
            if form.key.errors:
                flash(forms.EXPIRED, "error")
                return redirect(url_for("crm.order_contact", token=token), 303)
            status = 422
        shop = db.session.get(Tenant, order.tenant_id)
        html = render_template(
            "crm/order_contact.html", form=form, order=order, shop=shop, token=token
        )
    return private((html, status))


@shop_bp.route("/", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def contact() -> ResponseReturnValue:
    """The shop's contact form: a new conversation with the shop."""
    signed_in = current_user.is_authenticated
    account_email = current_user.email if signed_in else None
    if request.method == "POST":
        form = forms.ContactForm()
        if signed_in:
            form.email.data = account_email  # the account's address, whatever was posted
    else:
        form = forms.ContactForm.fresh(email=account_email or "")
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                started, _ = messages.start_thread(
                    form.email.data,
                    body=form.body.data,
                    key=form.key.data,
                    subject=form.subject.data or "",
                    name=form.name.data or None,
                    user_id=current_user.id if signed_in else None,
                )
                db.session.commit()
            except CrmError as refused:
                db.session.rollback()
                flash(str(refused), "error")
                return redirect(url_for("crm_shop.contact"), 303)
            if signed_in:
                flash(
                    "Your message is sent. We also emailed you a link to this conversation.",
                    "success",
                )
                return _to_thread(started)
            flash(
                "Your message is sent. We emailed you a link to follow the conversation.",
                "success",
            )
            return redirect(url_for("crm_shop.contact"), 303)
        if form.key.errors:
            flash(forms.EXPIRED, "error")
            return redirect(url_for("crm_shop.contact"), 303)
        status = 422
    return private(
        (render_template("crm/contact.html", form=form, shop=g.shop, signed_in=signed_in), status)
    )
