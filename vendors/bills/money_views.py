"""Credit notes, payments, payables and vendor statements (routes of ``vendor_bills``).

A payment needs ``bills.pay`` (owners only); the rest ``purchasing.manage``. Each form
carries its key, so a double submit records one credit note or payment.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.extensions import db
from mall.money import currency
from mall.shops.permissions import requires
from vendors.bills import credits, export, forms, payables, payments, services
from vendors.bills.admin_views import bill_or_404, bp, refusal, today
from vendors.bills.listing import vendor_choices
from vendors.errors import PurchasingError
from vendors.models import Vendor, VendorBill

STATEMENT_DAYS = 365


def _vendor_or_404(vendor_id: UUID | str | None) -> Vendor:
    found = services.get_vendor(vendor_id)
    if found is None:
        abort(404)
    return found


# ---------------------------------------------------------------- credit notes


def _credit_page(
    found: VendorBill,
    form: forms.CreditForm,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "vendors/bills/credit.html",
        bill=found,
        form=form,
        already=credits.credited_packs(found),
        creditable=credits.can_credit(found),
        typed=request.form if request.method == "POST" else {},
        errors=errors or {},
    ), status


@bp.route("/bills/<uuid:bill_id>/credit", methods=["GET", "POST"])
@requires("purchasing.manage")
def credit_bill(bill_id: UUID) -> ResponseReturnValue:
    """Record the vendor's credit note on a bill: packs back to the PO and/or an amount."""
    found = bill_or_404(bill_id)
    if request.method == "GET":
        form = forms.CreditForm(formdata=None, key=forms.new_key(), issued_on=today())
        return _credit_page(found, form)
    form = forms.CreditForm()
    valid = form.validate()
    packs, errors = forms.parse_packs(request.form, [line.id for line in found.lines])
    try:
        amount = forms.parse_amount(form.amount.data, code=found.currency)
    except ValueError as error:
        form.amount.errors = [str(error)]
        valid = False
    if not valid or errors:
        return _credit_page(found, form, errors=errors, status=422)
    try:
        note, made = credits.credit_bill(
            found,
            packs=packs,
            amount=amount,
            issued_on=form.issued_on.data,
            vendor_number=form.vendor_number.data or "",
            reason=form.reason.data or "",
            credit_key=form.key.data,
            actor_id=current_user.id,
        )
        db.session.commit()
    except PurchasingError as refused:
        db.session.rollback()
        return _credit_page(found, form, errors={"form": str(refused)}, status=409)
    if made:
        flash(f"Credit note {note.reference} recorded.", "success")
    else:
        flash(f"Credit note {note.reference} was already recorded: nothing changed.", "info")
    return redirect(url_for("vendor_bills.bill", bill_id=found.id), 303)


# ---------------------------------------------------------------- payments


def _payment_page(
    vendor: Vendor | None,
    form: forms.PaymentForm,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "vendors/bills/pay.html",
        vendor=vendor,
        vendors=vendor_choices(),
        bills=payments.owing_bills(vendor) if vendor is not None else [],
        form=form,
        typed=request.form if request.method == "POST" else {},
        errors=errors or {},
    ), status


@bp.route("/payments/new", methods=["GET", "POST"])
@requires("bills.pay")
def new_payment() -> ResponseReturnValue:
    """Pay one vendor's open bills (``?vendor=``): an amount per bill, one payment."""
    raw = request.args.get("vendor") or None
    vendor = _vendor_or_404(raw) if raw else None
    if request.method == "GET":
        form = forms.PaymentForm(formdata=None, key=forms.new_key(), paid_on=today())
        return _payment_page(vendor, form)
    if vendor is None:
        abort(404)
    form = forms.PaymentForm()
    valid = form.validate()
    bills = payments.owing_bills(vendor)
    amounts, errors = forms.parse_payments(
        request.form, [bill.id for bill in bills], code=currency()
    )
    if not valid or errors:
        return _payment_page(vendor, form, errors=errors, status=422)
    try:
        payment, made = payments.pay_bills(
            vendor,
            amounts=amounts,
            paid_on=form.paid_on.data,
            method=form.method.data,
            reference=form.reference.data or "",
            payment_key=form.key.data,
            actor_id=current_user.id,
        )
        db.session.commit()
    except PurchasingError as refused:
        db.session.rollback()
        return _payment_page(vendor, form, errors=refusal(form, refused), status=409)
    if made:
        flash("Payment recorded.", "success")
    else:
        flash("This payment was already recorded: nothing changed.", "info")
    return redirect(url_for("vendor_bills.payment", payment_id=payment.id), 303)


@bp.get("/payments/<uuid:payment_id>")
@requires("purchasing.manage")
def payment(payment_id: UUID) -> ResponseReturnValue:
    """One payment: its vendor, method, reference and the bills it paid."""
    found = payments.get_payment(payment_id)
    if found is None:
        abort(404)
    return render_template(
        "vendors/bills/payment.html",
        payment=found,
        vendor=services.get_vendor(found.vendor_id),
        parts=payments.allocations_of(found),
        method_label=payments.METHOD_LABELS.get(found.method, found.method),
    )


# ---------------------------------------------------------------- payables, statements


@bp.get("/payables", endpoint="payables")
@requires("purchasing.manage")
def payables_page() -> ResponseReturnValue:
    """What the shop owes each vendor, aged by days past due."""
    return render_template(
        "vendors/bills/payables.html",
        report=payables.payables(today()),
        BUCKETS=payables.BUCKETS,
        BUCKET_LABELS=payables.BUCKET_LABELS,
    )


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{g.shop.slug}-{name}.csv"'},
    )


@bp.get("/payables.csv")
@requires("purchasing.manage")
def payables_csv() -> ResponseReturnValue:
    """The payables report as CSV."""
    report = payables.payables(today())
    return _csv(export.payables_csv(report, code=currency()), f"payables-{report.today}")


def _range(vendor: Vendor) -> tuple[date, date]:
    """``?from=`` and ``?to=`` (ISO dates; 400 if bad). By default the year up to today, or
    up to the vendor's latest dated document when that is later: the closing balance then
    matches what the payables say is owed."""
    end = _date_arg("to") or max(today(), payables.latest_date(vendor) or date.min)
    year_before = max(date.min + timedelta(days=STATEMENT_DAYS), min(end, today()))
    start = _date_arg("from") or year_before - timedelta(days=STATEMENT_DAYS)
    if start > end:
        abort(400)
    return start, end


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.get("/statements/<uuid:vendor_id>")
@requires("purchasing.manage")
def statement(vendor_id: UUID) -> ResponseReturnValue:
    """A vendor's bills, credit notes and payments in date order, with the running balance."""
    vendor = _vendor_or_404(vendor_id)
    start, end = _range(vendor)
    return render_template(
        "vendors/bills/statement.html",
        found=payables.statement(vendor, start=start, end=end),
        vendor=vendor,
        max_rows=payables.MAX_ROWS,
        today=today(),
    )


@bp.get("/statements/<uuid:vendor_id>.csv")
@requires("purchasing.manage")
def statement_csv(vendor_id: UUID) -> ResponseReturnValue:
    """The vendor's statement as CSV."""
    vendor = _vendor_or_404(vendor_id)
    start, end = _range(vendor)
    found = payables.statement(vendor, start=start, end=end)
    return _csv(export.statement_csv(found, code=currency()), f"vendor-statement-{start}-{end}")
