"""Order entry's emails, run by jobs that receive ids only.

The customer's copy of a quote or an invoice: the document in the email's HTML,
an invoice's PDF attached (the same renderer as web orders' invoices) and its pay
link. The job opens the document in its shop's context and reads the sealed email there.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app

from mall.extensions import db
from mall.invoices import rendering
from mall.invoices.services import get_document
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.money import format_money
from mall.orders.entry.models import SalesKind, SalesStatus
from mall.orders.entry.tokens import pay_link_url
from tenants.context import tenant_context
from tenants.models import Tenant


@job(queue="mail")
def send_document_email(tenant_id: str, document_id: str) -> None:
    """Email the customer their quote, or their invoice with its PDF and pay link."""
    from mall.orders.entry.services import get_sales_document

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        document = get_sales_document(document_id)
        if document is None or document.status in (SalesStatus.DRAFT, SalesStatus.VOID):
            return
        is_invoice = document.kind is SalesKind.INVOICE
        label = "Invoice" if is_invoice else "Quote"
        message = render_message(
            "orders/entry/email/document",
            to=document.email,
            subject=f"{label} {document.number} from {shop.name}",
            shop_name=shop.name,
            document=document,
            label=label,
            lines=list(document.lines),
            money=lambda minor: format_money(minor, code=document.currency),
            pay_url=pay_link_url(document) if is_invoice else "",
            mall_name=current_app.config.get("MALL_NAME", "Mall"),
        )
        invoice = get_document(document.invoice_id) if document.invoice_id else None
        if invoice is not None:
            message.add_attachment(
                rendering.document_pdf(invoice),
                maintype="application",
                subtype="pdf",
                filename=rendering.pdf_filename(invoice),
            )
        deliver(message)
