"""The vendor's page of one purchase order, ``/vendor/po/<token>`` (``vendor_link`` blueprint).

No account: the signed token (``vendors.vendor_link.tokens``) is the only key. A
tampered, replaced or unknown token and a cancelled PO answer 404 (the same page
whatever the reason); an expired one 410, telling the vendor to ask the shop. On a
shop's own host only that shop's POs are served. Responses are ``no-store``,
``noindex`` and send no referrer: the page holds the customer's address on a
drop-ship PO. Posts are CSRF-checked like every form and rate-limited per address.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.extensions import db, limiter
from mall.orders.carriers import carrier_name
from mall.orders.tracking_views import served_on_this_host
from tenants.context import tenant_context
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder
from vendors.purchasing import rendering, wording
from vendors.purchasing.status import label as status_label
from vendors.vendor_link import forms
from vendors.vendor_link.confirmations import (
    ReplyOutcome,
    already_recorded,
    record_vendor_reply,
)
from vendors.vendor_link.page import VendorPage, vendor_page
from vendors.vendor_link.tokens import VendorLinkExpired, VendorLinkInvalid, open_po

bp = Blueprint("vendor_link", __name__, template_folder="../templates")

PAGE_LIMIT = "60 per minute"  # per address
REPLY_LIMIT = "10 per minute;60 per hour"  # per address, on posts only
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


@bp.route("/vendor/po/<token>", methods=["GET", "POST"])
@limiter.limit(PAGE_LIMIT, methods=["GET"])
@limiter.limit(REPLY_LIMIT, methods=["POST"])
def po(token: str) -> ResponseReturnValue:
    """The PO as the vendor sees it; the form confirms it and, drop-ship, records a parcel."""
    found = _po_or_gone(token)
    if not isinstance(found, PurchaseOrder):
        return found
    with tenant_context(found.tenant_id):
        page = vendor_page(found)
        if request.method != "POST":
            return _render(page, forms.reply_form(found, page.shippable, formdata=None), token)
        form = forms.reply_form(found, page.shippable)
        if already_recorded(found, form.key.data):  # a double click: its units are gone now
            flash("This was already recorded: nothing changed.", "info")
            return redirect(url_for("vendor_link.po", token=token), 303)
        if not page.answerable:
            flash(f"{found.number} is {status_label(found.status)}: nothing can change.", "info")
            return redirect(url_for("vendor_link.po", token=token), 303)
        if not form.validate():
            if form.key.errors:
                flash(forms.EXPIRED, "error")
                return redirect(url_for("vendor_link.po", token=token), 303)
            return _render(page, form, token, status=422)
        try:
            outcome = record_vendor_reply(
                found,
                expected_on=form.expected_day(),
                carrier=form.carrier_value(),
                tracking_number=form.tracking_number.data or "",
                shipped=form.quantities(),
                form_key=form.key.data,
            )
            message = _said(found, outcome)
            db.session.commit()
        except PurchasingError as refused:
            db.session.rollback()
            return _refused(token, form, str(refused))
    flash(message, "info" if outcome.repeat else "success")
    return redirect(url_for("vendor_link.po", token=token), 303)


@bp.get("/vendor/po/<token>.pdf")
@limiter.limit(PAGE_LIMIT)
def po_pdf(token: str) -> ResponseReturnValue:
    """The PO as a PDF download (the same document as the email's attachment)."""
    found = _po_or_gone(token)
    if not isinstance(found, PurchaseOrder):
        return found
    with tenant_context(found.tenant_id):
        response = rendering.pdf_response(found)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _po_or_gone(token: str) -> PurchaseOrder | ResponseReturnValue:
    """The link's PO served on this host; else the expired page (410) or a 404."""
    try:
        found = open_po(token)
    except VendorLinkExpired:
        html = render_template("vendors/vendor_link/expired.html")
        return html, 410, PRIVATE_HEADERS
    except VendorLinkInvalid:
        abort(404)
    if not served_on_this_host(found.tenant_id):
        abort(404)
    return found


def _refused(token: str, form: forms.VendorReplyForm, message: str) -> ResponseReturnValue:
    """The form again, as typed, with the service's refusal (the PO read afresh)."""
    found = _po_or_gone(token)
    if not isinstance(found, PurchaseOrder):
        return found
    with tenant_context(found.tenant_id):
        page = vendor_page(found)
        form.po = found  # the fields stay those typed into
        form.form_errors.append(message)
        return _render(page, form, token, status=409)


def _render(
    page: VendorPage, form: forms.VendorReplyForm, token: str, *, status: int = 200
) -> ResponseReturnValue:
    html = render_template(
        "vendors/vendor_link/po.html",
        page=page,
        form=form,
        token=token,
        status_label=status_label,
        carrier_name=carrier_name,
        quantity=wording.quantity,
    )
    return html, status, PRIVATE_HEADERS


def _said(po: PurchaseOrder, outcome: ReplyOutcome) -> str:
    if outcome.repeat:
        return "This was already recorded: nothing changed."
    if outcome.shipment is not None:
        units = sum(line.quantity for line in outcome.shipment.lines)
        items = "1 item" if units == 1 else f"{units} items"
        return (
            f"Shipment recorded: {items} with {carrier_name(outcome.shipment.carrier)}. "
            "The customer is emailed the tracking details."
        )
    if outcome.confirmed_now:
        return f"Thank you: {po.number} is confirmed."
    return f"Thank you: the details of {po.number} are updated."
