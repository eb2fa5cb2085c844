"""The ``invoices`` row of an issued sales invoice: numbered in the shop's invoice series,
frozen with a snapshot shaped like a web order's, so ``mall.invoices.rendering`` gives
its HTML and PDF as for any customer invoice.

Its ``source_id`` is the sales document (unique per shop and kind: issued once) and its
``order_id`` stays empty until the invoice is paid; then the order's own ``order_paid``
subscriber finds this invoice instead of issuing a second one (``mall.invoices.services``).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from mall.db import utcnow
from mall.extensions import db
from mall.invoices import snapshot
from mall.invoices.models import DocumentKind, Invoice
from mall.invoices.numbers import take_document_number
from mall.invoices.services import invoice_settings
from mall.orders.entry.models import SalesDocument
from mall.orders.entry.services import opened_address
from tenants.models import Tenant


def _lines(document: SalesDocument) -> list[dict[str, Any]]:
    return [
        {
            "title": line.title,
            "options": line.options,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "tax_rate_bp": line.tax_rate_bp,
            "net": line.total - line.tax,
            "tax": line.tax,
            "total": line.total,
        }
        for line in document.lines
    ]


def invoice_snapshot(document: SalesDocument, *, seller: dict[str, str]) -> dict[str, Any]:
    """What the invoice shows, as ``mall.invoices.snapshot.invoice_snapshot`` shapes it."""
    rows = _lines(document)
    shipping_tax = document.tax - sum(row["tax"] for row in rows)
    # The shipping's rate is found from its tax as for orders (the document keeps the tax).
    like_order = SimpleNamespace(
        shipping_tax=shipping_tax,
        shipping_amount=document.shipping_amount,
        prices_include_tax=document.prices_include_tax,
    )
    rate = snapshot.shipping_rate(like_order, (row["tax_rate_bp"] for row in rows))
    shipping = document.shipping_amount + (0 if document.prices_include_tax else shipping_tax)
    breakdown = [(row["tax_rate_bp"], row["net"], row["tax"]) for row in rows]
    shown = bool(document.shipping_method_id or shipping)
    if shown:
        breakdown.append((rate, shipping - shipping_tax, shipping_tax))
    return {
        "order_number": None,
        "sales_document": True,
        "placed_at": utcnow().isoformat(),
        "paid_at": None,
        "due_on": document.due_on.isoformat() if document.due_on else None,
        "payment_method": "",
        "prices_include_tax": document.prices_include_tax,
        "seller": seller,
        "lines": rows,
        "shipping": {
            "name": document.shipping_method_name,
            "shown": shown,
            "net": shipping - shipping_tax,
            "tax": shipping_tax,
            "tax_rate_bp": rate,
            "total": shipping,
        },
        "tax_breakdown": snapshot.tax_breakdown(breakdown),
        "totals": {
            "subtotal": document.subtotal,
            "discount": document.discount,
            "net": document.total - document.tax,
            "tax": document.tax,
            "total": document.total,
        },
    }


def sealed_buyer(document: SalesDocument) -> str:
    """The buyer's name, address (billing, else shipping) and email as JSON, to be sealed."""
    address = opened_address(document, "billing") or opened_address(document, "shipping")
    name = address.name if address else ""
    if not name and document.name_ct:
        name = document.name or ""
    return json.dumps(
        {"name": name, "address": address.lines()[1:] if address else [], "email": document.email}
    )


def freeze_invoice(document: SalesDocument, shop: Tenant) -> Invoice:
    """Take the next invoice number and store the frozen invoice (call once, when issuing)."""
    settings = invoice_settings()
    number, sequence = take_document_number(shop, DocumentKind.INVOICE)
    frozen = invoice_snapshot(document, seller=snapshot.seller_details(shop, settings))
    invoice = Invoice(
        tenant_id=document.tenant_id,
        kind=DocumentKind.INVOICE,
        number=number,
        sequence=sequence,
        order_id=None,
        source_id=document.id,
        currency=document.currency,
        total=document.total,
        tax=document.tax,
        snapshot=frozen,
    )
    invoice.buyer_json = sealed_buyer(document)
    invoice.seller_json = snapshot.sealed_seller(shop, settings)
    db.session.add(invoice)
    db.session.flush()
    return invoice
