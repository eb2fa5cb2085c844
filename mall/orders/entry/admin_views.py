"""A shop's quotes and invoices, /shop/<slug>/admin/sales/ (``order_entry``).

Listing, entering and the quote's moves need ``orders.enter`` (staff, sales reps);
issuing, sending and voiding an invoice and marking it paid need ``invoices.manage``.
A sales rep sees only the documents they entered (another's answers 404, like
another shop's). Each action is one service, safe to repeat: the second click
changes nothing and the page says so.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.extensions import db
from mall.money import format_money
from mall.orders.entry import forms, lifecycle, services, stock
from mall.orders.entry.errors import EntryError
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.tokens import pay_link_url
from mall.pagination import decode_position
from mall.shops.admin_views import member_can
from mall.shops.models import Role
from mall.shops.permissions import requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "order_entry",
    __name__,
    admin=True,
    url_prefix="/admin/sales",
    template_folder="../templates",
)

PER_PAGE = 25
STATUS_LABELS = {
    SalesStatus.DRAFT: "Draft",
    SalesStatus.SENT: "Sent",
    SalesStatus.ACCEPTED: "Accepted",
    SalesStatus.INVOICED: "Invoiced",
    SalesStatus.PAID: "Paid",
    SalesStatus.VOID: "Void",
}


@bp.context_processor
def entry_helpers() -> dict[str, Any]:
    """What the sales templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "reveal": reveal,
        "format_money": format_money,
        "sales_status_label": lambda status: STATUS_LABELS.get(status, str(status)),
    }


def rep_id() -> UUID | None:
    """The signed-in member's id when they are a sales rep (they see their own only)."""
    membership = g.get("membership")
    return current_user.id if membership is not None and membership.role is Role.SALES_REP else None


def document_or_404(sales_id: UUID) -> SalesDocument:
    found = services.visible_document(sales_id, rep_id=rep_id())
    if found is None:
        abort(404)
    return found


# ---------------------------------------------------------------- the list


@bp.get("/")
@requires("orders.enter")
def documents() -> ResponseReturnValue:
    """The shop's quotes or invoices (a tab each), newest first, filtered by status."""
    kind = SalesKind.QUOTE if request.args.get("kind") == "quote" else SalesKind.INVOICE
    raw = request.args.get("status", "")
    status = SalesStatus(raw) if raw in {s.value for s in SalesStatus} else None
    page = services.document_list(
        kind=kind,
        status=status,
        rep_id=rep_id(),
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
        per_page=PER_PAGE,
    )
    return render_template(
        "orders/entry/list.html",
        page=page,
        kind=kind,
        status=status,
        statuses=STATUS_LABELS,
        own_only=rep_id() is not None,
    )


# ---------------------------------------------------------------- entering a document


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.enter")
def new() -> ResponseReturnValue:
    """A phone or mail order: customer, addresses, items, shipping; totals shown before saving."""
    form = forms.DocumentForm()
    ship = forms.AddressFields(prefix="ship")
    bill = forms.AddressFields(prefix="bill")
    methods = services.shipping_methods()
    form.shipping_method.choices = [("", "The cheapest that delivers")] + [
        (method.id.hex, method.name) for method in methods
    ]
    if request.method == "GET":
        form.request_key.data = forms.new_key()
        rows = forms.lines_of({}, forms.ROWS)
        return _form_page(form, ship, bill, rows, None)
    action = request.form.get("action", "preview")
    if action not in forms.ACTIONS:
        abort(400)
    if action == "issue" and not member_can("invoices.manage"):
        abort(403)
    rows = forms.lines_of(
        request.form, forms.row_count(request.form.get("rows"), more=action == "more")
    )
    form.rows.data = str(len(rows.values))
    data = _document_input(form, ship, bill, rows, action)
    if action == "more" or data is None:
        return _form_page(form, ship, bill, rows, None, status=200 if action == "more" else 400)
    try:
        priced = services.price(data, tenant_id=g.shop.id)
    except EntryError as refused:
        _field_error(form, rows, refused)
        return _form_page(form, ship, bill, rows, None, status=400)
    if action == "preview":
        return _form_page(form, ship, bill, rows, priced, short=_short_of(priced))
    return _save(form, ship, bill, rows, data, action)


def _document_input(
    form: forms.DocumentForm,
    ship: forms.AddressFields,
    bill: forms.AddressFields,
    rows: forms.LineRows,
    action: str,
) -> services.DocumentInput | None:
    """The typed document, or None when a field is wrong (its error set on the field)."""
    valid = form.validate()
    shipping = forms.typed_address(ship)
    billing = None if form.billing_same.data else forms.typed_address(bill)
    if not valid or shipping is None or (not form.billing_same.data and billing is None):
        return None
    if rows.errors:
        return None
    method = form.shipping_method.data or ""
    return services.DocumentInput(
        kind=SalesKind.QUOTE if action == "quote" else SalesKind.INVOICE,
        customer=services.CustomerInput(
            email=form.customer_email.data or "",
            name=form.customer_name.data or "",
            phone=form.customer_phone.data or "",
        ),
        lines=rows.lines,
        shipping_address=shipping,
        billing_address=billing,
        shipping_method_id=forms.method_id(method),
        note=form.note.data or "",
    )


def _field_error(form: forms.DocumentForm, rows: forms.LineRows, refused: EntryError) -> None:
    name = refused.field or ""
    if "-" in name:  # a line's field: the n-th filled line is the row it was typed on
        field, _, position = name.partition("-")
        row = rows.rows_of[int(position)] if int(position) < len(rows.rows_of) else 0
        rows.errors[f"{field}-{row}"] = str(refused)
    elif name and name in form:
        form[name].errors = [*form[name].errors, str(refused)]
    else:
        rows.errors["_form"] = str(refused)


def _save(
    form: forms.DocumentForm,
    ship: forms.AddressFields,
    bill: forms.AddressFields,
    rows: forms.LineRows,
    data: services.DocumentInput,
    action: str,
) -> ResponseReturnValue:
    try:
        document, _made = lifecycle.enter_document(
            data,
            shop=g.shop,
            actor_id=current_user.id,
            request_key=form.request_key.data,
            send=action == "issue",
        )
        db.session.commit()
    except EntryError as refused:
        db.session.rollback()
        _field_error(form, rows, refused)
        return _form_page(form, ship, bill, rows, None, status=400)
    flash(_saved_message(document, action), "success")
    return redirect(url_for("order_entry.document", sales_id=document.id), 303)


def _saved_message(document: SalesDocument, action: str) -> str:
    if action == "issue":
        return f"Invoice {document.number} issued and emailed to the customer with its pay link."
    if action == "quote":
        return "Quote saved as a draft: send it when it is ready."
    return "Invoice draft saved: issue it when it is ready."


def _form_page(
    form: forms.DocumentForm,
    ship: forms.AddressFields,
    bill: forms.AddressFields,
    rows: forms.LineRows,
    priced: Any,
    *,
    status: int = 200,
    short: dict[UUID, int] | None = None,
) -> ResponseReturnValue:
    email = form.customer_email.data or ""
    known = (
        services.existing_customer(email)
        if "@" in email and not form.customer_email.errors
        else None
    )
    return render_template(
        "orders/entry/new.html",
        form=form,
        ship=ship,
        bill=bill,
        rows=rows,
        priced=priced,
        known=known,
        short=short or {},
        money=format_money,
    ), status


def _short_of(priced: Any) -> dict[UUID, int]:
    """Variant id -> units in stock, for the previewed lines the shop has not the stock for."""
    lines = [(line.line.variant_id, line.line.quantity) for line in priced.part.lines]
    return stock.shortfalls(lines, priced.variants)


# ---------------------------------------------------------------- one document


@bp.get("/<uuid:sales_id>")
@requires("orders.enter")
def document(sales_id: UUID) -> ResponseReturnValue:
    """One quote or invoice: customer, lines with their reasons, totals, what can be done next."""
    found = document_or_404(sales_id)
    return document_page(found)


def document_page(
    found: SalesDocument, *, status: int = 200, void_error: str = ""
) -> ResponseReturnValue:
    open_invoice = found.kind is SalesKind.INVOICE and found.status in (
        SalesStatus.DRAFT,
        SalesStatus.SENT,
        SalesStatus.ACCEPTED,
    )
    return render_template(
        "orders/entry/document.html",
        doc=found,
        shipping=services.opened_address(found, "shipping"),
        billing=services.opened_address(found, "billing"),
        pay_url=pay_link_url(found) if _payable(found) else "",
        made_from=services.get_sales_document(found.quote_id) if found.quote_id else None,
        invoice=lifecycle.invoice_of_quote(found) if found.kind is SalesKind.QUOTE else None,
        action=forms.ActionForm(formdata=None),
        short=stock.document_shortfalls(found) if open_invoice else {},
        void_error=void_error,
        void_words=void_words(found),
        money=lambda minor: format_money(minor, code=found.currency),
    ), status


def _payable(found: SalesDocument) -> bool:
    return (
        found.kind is SalesKind.INVOICE
        and found.invoice_id is not None
        and found.status
        in (
            SalesStatus.SENT,
            SalesStatus.ACCEPTED,
        )
    )


def void_words(found: SalesDocument) -> str:
    """The void checkbox's words: "Yes, void invoice INV-3"."""
    what = "quote" if found.kind is SalesKind.QUOTE else "invoice"
    return f"Yes, void {what} {found.number}" if found.number else f"Yes, void this {what}"
