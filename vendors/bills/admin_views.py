"""A shop's vendor bills, /shop/<slug>/admin/purchasing/bills (``vendor_bills``): the list,
a new bill (standalone or from a PO), a bill's page with open / void / mark reviewed.

Each move is safe to repeat: a bill no longer in the state the page showed changes
nothing and the page says so. Another shop's bill, vendor or PO answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from mall.db import utcnow
from mall.extensions import db
from mall.money import currency, format_money, to_decimal_text
from mall.pagination import decode_position
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.resolution import shop_blueprint
from vendors.bills import credits, forms, listing, payments, quantities, services
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, Vendor, VendorBill

bp = shop_blueprint(
    "vendor_bills",
    __name__,
    admin=True,
    url_prefix="/admin/purchasing",
    template_folder="../templates",
)

STATUS_LABELS = {
    "draft": "Draft",
    "open": "Open",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "void": "Void",
}
FIELD_LABELS = {"quantity": "Packs", "unit_cost": "Cost per pack"}


@bp.context_processor
def bill_helpers() -> dict[str, Any]:
    """What the bills templates (and ``shops/admin_base.html``) use."""
    code = currency()
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "money": lambda minor: format_money(minor, code=code),
        "bill_status_label": lambda status: STATUS_LABELS.get(str(status), str(status)),
        "needs_review": services.needs_review,
        "FIELD_LABELS": FIELD_LABELS,
    }


def today() -> date:
    return utcnow().date()


def bill_or_404(bill_id: UUID) -> VendorBill:
    found = services.get_bill(bill_id)
    if found is None:
        abort(404)
    return found


def refusal(form: FlaskForm, refused: PurchasingError) -> dict[str, str]:
    """Where a refusal shows: at its field when it names one of ``form``'s, else on top."""
    field = getattr(refused, "field", None)
    if field and field in form:
        form[field].errors = [str(refused)]
        return {}
    return {"form": str(refused)}


def _uuid_arg(name: str) -> UUID | None:
    raw = request.args.get(name) or ""
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        abort(404)


@bp.get("/bills")
@requires("purchasing.manage")
def bills() -> ResponseReturnValue:
    """The shop's bills, newest first: by status (or "needs review") and vendor."""
    status = request.args.get("status") or None
    if status not in (None, listing.REVIEW, *STATUS_LABELS):
        abort(400)
    vendor_id = _uuid_arg("vendor")
    page = listing.bill_list(
        status=status,
        vendor_id=vendor_id,
        older=decode_position(request.args.get("older")),
        newer=decode_position(request.args.get("newer")),
    )
    return render_template(
        "vendors/bills/list.html",
        listing=page,
        names=listing.vendor_names(bill.vendor_id for bill in page.items),
        status=status,
        vendor_id=vendor_id,
        vendors=listing.vendor_choices(),
        statuses=STATUS_LABELS,
    )


def _new_form(vendor: Vendor | None, po: PurchaseOrder | None) -> forms.BillForm:
    form = forms.BillForm(formdata=None, key=forms.new_key(), issued_on=today())
    if vendor is not None:
        form.vendor.data = str(vendor.id)
    return form


def _bill_page(
    form: forms.BillForm,
    *,
    po: PurchaseOrder | None,
    vendor: Vendor | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    form.vendor.choices = forms.select_choices(listing.vendor_choices())
    rows = services.prefill(po, vendor) if po is not None and vendor is not None else []
    typed = request.form if request.method == "POST" else {}
    values = {}
    for line, item in rows:
        values[f"qty-{line.id}"] = typed.get(f"qty-{line.id}", str(item.quantity))
        values[f"cost-{line.id}"] = typed.get(
            f"cost-{line.id}", to_decimal_text(item.unit_cost, code=currency())
        )
    for n in range(forms.FREE_LINES):
        for name in (f"desc-{n}", f"fqty-{n}", f"fcost-{n}"):
            values[name] = typed.get(name, "")
    return render_template(
        "vendors/bills/new.html",
        form=form,
        po=po,
        vendor=vendor,
        rows=rows,
        values=values,
        errors=errors or {},
        free_lines=range(forms.FREE_LINES),
        pos=listing.po_choices() if po is None else [],
        policy_words=quantities.policy_words(vendor.billing_policy) if vendor else "",
    ), status


def _po_and_vendor() -> tuple[PurchaseOrder | None, Vendor | None]:
    po_id = _uuid_arg("po")
    if po_id is None:
        return None, None
    po = services.get_po(po_id)
    if po is None:
        abort(404)
    return po, services.get_vendor(po.vendor_id)


@bp.route("/bills/new", methods=["GET", "POST"])
@requires("purchasing.manage")
def new_bill() -> ResponseReturnValue:
    """Record a vendor's bill: from a PO (``?po=``, its billable packs filled in) or free."""
    po, vendor = _po_and_vendor()
    if request.method == "GET":
        return _bill_page(_new_form(vendor, po), po=po, vendor=vendor)
    form = forms.BillForm()
    form.vendor.choices = forms.select_choices(listing.vendor_choices())
    valid = form.validate()
    if po is None:
        vendor = services.get_vendor(form.vendor.data)
        if vendor is None:
            form.vendor.errors = ["Choose the vendor."]
    lines, errors = forms.parse_bill_lines(
        request.form, [line.id for line in po.lines] if po else [], code=currency()
    )
    if not valid or errors or vendor is None:
        return _bill_page(form, po=po, vendor=vendor, errors=errors, status=422)
    try:
        bill, made = services.create_bill(
            vendor,
            lines=lines,
            po=po,
            issued_on=form.issued_on.data,
            due_on=form.due_on.data,
            vendor_number=form.vendor_number.data or "",
            override_reason=form.override_reason.data or "",
            note=form.note.data or "",
            bill_key=form.key.data,
            actor_id=current_user.id,
        )
        opened = (
            made
            and request.form.get("then") == "open"
            and services.open_bill(bill, actor_id=current_user.id)
        )
        db.session.commit()
    except PurchasingError as refused:
        db.session.rollback()
        return _bill_page(form, po=po, vendor=vendor, errors=refusal(form, refused), status=409)
    if not made:
        flash(f"Bill {bill.reference} was already recorded: nothing changed.", "info")
    elif opened:
        flash(f"Bill {bill.reference} recorded and opened.", "success")
    else:
        flash(f"Bill {bill.reference} saved as a draft: open it when it is right.", "success")
    return redirect(url_for("vendor_bills.bill", bill_id=bill.id), 303)


@bp.get("/bills/<uuid:bill_id>")
@requires("purchasing.manage")
def bill(bill_id: UUID) -> ResponseReturnValue:
    """One bill: its lines, differences from the PO, credit notes, payments and actions."""
    found = bill_or_404(bill_id)
    return render_template(
        "vendors/bills/bill.html",
        bill=found,
        vendor=services.get_vendor(found.vendor_id),
        po=services.get_po(found.po_id) if found.po_id else None,
        credits=credits.credits_of(found),
        paid=payments.payments_of(found),
        action_form=forms.ActionForm(formdata=None),
        voidable=services.can_void(found),
        confirm_void=request.args.get("void") == "1",
    )


def _back(found: VendorBill) -> ResponseReturnValue:
    return redirect(url_for("vendor_bills.bill", bill_id=found.id), 303)


def _act(found: VendorBill, move: Any, *, done: str) -> ResponseReturnValue:
    """Run ``move(bill, actor_id=…)`` once; flash what happened."""
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _back(found)
    reference = found.reference
    try:
        moved = move(found, actor_id=current_user.id)
    except PurchasingError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(found)
    if moved:
        db.session.commit()
        flash(done.format(reference=reference), "success")
    else:
        db.session.rollback()
        flash(f"Bill {reference} had already changed: nothing was done.", "info")
    return _back(found)


@bp.post("/bills/<uuid:bill_id>/open")
@requires("purchasing.manage")
def open_bill(bill_id: UUID) -> ResponseReturnValue:
    """Open a draft: its packs count as billed and it is posted to the books."""
    return _act(bill_or_404(bill_id), services.open_bill, done="Bill {reference} opened.")


@bp.post("/bills/<uuid:bill_id>/void")
@requires("purchasing.manage")
def void_bill(bill_id: UUID) -> ResponseReturnValue:
    """Void a bill with nothing paid: its packs may be billed again. Asked once first: a
    submit without ``confirm=yes`` (an old page, a stray click) only shows the question."""
    found = bill_or_404(bill_id)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("vendor_bills.bill", bill_id=found.id, void=1), 303)
    return _act(found, services.void_bill, done="Bill {reference} voided.")


@bp.post("/bills/<uuid:bill_id>/review")
@requires("purchasing.manage")
def review_bill(bill_id: UUID) -> ResponseReturnValue:
    """Mark the bill's differences from its PO as reviewed."""
    return _act(
        bill_or_404(bill_id), services.mark_reviewed, done="Bill {reference} marked reviewed."
    )
