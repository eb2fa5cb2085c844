"""The customer's pay page, ``/pay/<token>`` (``order_entry_pay``), without signing in.

The signed token is the only key (``tokens``): a tampered or unknown one answers
404, the same page whatever the reason; the link of an invoice the shop voided answers
410 with a page saying so (the shop's name, nothing about the customer). On a shop's
own host only that shop's invoices are served. The page shows the invoice and the shop's payment
methods; paying places one normal order (``payment.pay_document``). Responses are
``no-store`` and ``noindex``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.extensions import db
from mall.invoices import rendering
from mall.invoices.services import get_document
from mall.money import format_money
from mall.orders.entry import forms, payment, services
from mall.orders.entry.errors import EntryError
from mall.orders.entry.models import SalesDocument
from mall.orders.entry.tokens import find_payable_document, find_voided_document
from mall.orders.tracking import tracking_link
from mall.orders.tracking_views import private, served_on_this_host
from mall.payments.services import PaymentError, bank_instructions, confirm_stripe_return
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant

bp = Blueprint("order_entry_pay", __name__, url_prefix="/pay", template_folder="../templates")


class _Voided(Exception):
    """The link's invoice was voided by its shop (answered 410 by ``voided_page``)."""

    def __init__(self, shop: Tenant, document: SalesDocument) -> None:
        super().__init__(document.number)
        self.shop, self.document = shop, document


def _found_or_404(token: str) -> tuple[Tenant, SalesDocument]:
    found = find_payable_document(token)
    if found is None:
        voided = find_voided_document(token)
        if voided is not None and served_on_this_host(voided[0].id):
            raise _Voided(*voided)
    if found is None or not served_on_this_host(found[0].id):
        abort(404)
    return found


@bp.errorhandler(_Voided)
def voided_page(voided: _Voided) -> ResponseReturnValue:
    """The shop cancelled this invoice: nothing to pay, contact the shop (410 Gone)."""
    html = render_template("orders/entry/pay_void.html", shop=voided.shop, doc=voided.document)
    return private((html, 410))


@bp.get("/<token>")
def pay(token: str) -> ResponseReturnValue:
    """The invoice, its status, and how to pay it."""
    shop, document = _found_or_404(token)
    with tenant_context(shop):
        order = payment.current_order(document) if document.order_id else None
        db.session.commit()  # a lapsed order let go is remembered
        form = forms.PayForm(formdata=None)
        methods = payment.payment_methods(shop)
        form.method.choices = [(method.name, method.label) for method in methods]
        html = render_template(
            "orders/entry/pay.html",
            shop=shop,
            doc=document,
            order=order,
            form=form,
            methods=methods,
            token=token,
            address=services.opened_address(document, "billing"),
            instructions=bank_instructions([shop.id]).get(shop.id, "") if order else "",
            tracking_url=tracking_link(order) if order is not None and document.paid_at else "",
            money=lambda minor: format_money(minor, code=document.currency),
        )
    return private(html)


@bp.post("/<token>")
def start(token: str) -> ResponseReturnValue:
    """Pay with the chosen method: the provider's page, or back here (paid, or instructions)."""
    shop, document = _found_or_404(token)
    form = forms.PayForm()
    if not form.validate():
        flash(forms.EXPIRED, "error")
        return redirect(url_for("order_entry_pay.pay", token=token), 303)
    back = external_url("order_entry_pay.pay", token=token)
    with tenant_context(shop):
        try:
            result = payment.pay_document(
                document,
                shop=shop,
                method=form.method.data or "",
                success_url=external_url("order_entry_pay.stripe_return", token=token)
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=back,
            )
            db.session.commit()
        except (EntryError, PaymentError) as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return redirect(url_for("order_entry_pay.pay", token=token), 303)
    if result.redirect_url:
        return redirect(result.redirect_url, 303)
    if result.out_of_stock:
        flash(
            f"This invoice can't be paid online right now; {shop.name} has been told and "
            "will contact you.",
            "warning",
        )
    elif result.paid:
        flash("Thank you: the invoice is paid. The confirmation goes to your inbox.", "success")
    elif result.awaiting:
        flash("Thank you: send the bank transfer as shown below.", "info")
    else:
        flash("Your payment is being confirmed: this page shows it once it is.", "info")
    return redirect(url_for("order_entry_pay.pay", token=token), 303)


@bp.get("/<token>/return")
def stripe_return(token: str) -> ResponseReturnValue:
    """Back from Stripe's page: confirm the payment there (the webhook may have done it)."""
    shop, document = _found_or_404(token)
    with tenant_context(shop):
        order = payment.current_order(document) if document.order_id else None
        if order is None:
            abort(404)
        try:
            confirm_stripe_return(order.checkout_id, request.args.get("session_id", ""))
            db.session.commit()
        except PaymentError as error:
            db.session.rollback()
            flash(str(error), "error")
    return redirect(url_for("order_entry_pay.pay", token=token), 303)


@bp.get("/<token>/invoice")
def invoice(token: str) -> ResponseReturnValue:
    """The invoice as a printable page (the same renderer as web orders' invoices)."""
    shop, document = _found_or_404(token)
    with tenant_context(shop):
        frozen = get_document(document.invoice_id)
        if frozen is None:
            abort(404)
        html = rendering.document_html(
            frozen,
            back_url=url_for("order_entry_pay.pay", token=token),
            pdf_url=url_for("order_entry_pay.invoice_pdf", token=token),
        )
    return rendering.private_response(html, "text/html")


@bp.get("/<token>/invoice.pdf")
def invoice_pdf(token: str) -> ResponseReturnValue:
    """The invoice as a PDF download."""
    shop, document = _found_or_404(token)
    with tenant_context(shop):
        frozen = get_document(document.invoice_id)
        if frozen is None:
            abort(404)
        return rendering.pdf_response(frozen)
