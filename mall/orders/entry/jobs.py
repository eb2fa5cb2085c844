"""Order entry's emails, run by jobs that receive ids only.

The customer's copy of a quote or an invoice: the document in the email's HTML,
an invoice's PDF attached (the same renderer as web orders' invoices) and its pay
link. The job opens the document in its shop's context and reads the sealed email there.
The shop's owners are told when a customer could not pay an invoice because its stock
ran out (the customer's page says the shop was told).
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.invoices import rendering
from mall.invoices.services import get_document
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.money import format_money
from mall.orders.entry.models import SalesKind, SalesStatus
from mall.orders.entry.tokens import pay_link_url
from mall.shops.models import Membership, Role
from mall.urls import external_url
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


@job(queue="mail")
def send_unpayable_email(tenant_id: str, document_id: str) -> None:
    """Tell the shop's owners that a customer tried to pay an invoice whose stock ran out."""
    from mall.orders.entry.services import get_sales_document
    from mall.orders.entry.stock import document_shortfalls

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        document = get_sales_document(document_id)
        if document is None or document.status is SalesStatus.VOID:
            return
        short = document_shortfalls(document)
        context = {
            "shop_name": shop.name,
            "document": document,
            "short": [
                (line, short[line.variant_id])
                for line in document.lines
                if line.variant_id in short
            ],
            "document_url": external_url(
                "order_entry.document", shop=shop.slug, sales_id=document.id
            ),
        }
        owners = db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == shop.id, Membership.role == Role.OWNER)
            .order_by(Membership.created_at)
        ).all()
        subject = f"Invoice {document.number} could not be paid: out of stock"
        messages = [
            render_message(
                "orders/entry/email/unpayable", to=owner.email, subject=subject, **context
            )
            for owner in owners
        ]
    for message in messages:
        deliver(message)
