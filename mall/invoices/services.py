"""Issuing invoices and credit notes, exactly once each, and reading them back.

An order's invoice is issued when it is paid (``order_paid``), a credit note for
each of its refunds (``order_refunded``), both inside the transaction that paid
or refunded it. Each is keyed by what it was issued for (the order, the refund:
unique per shop and kind), so a replayed signal, a retried webhook or a re-run
job finds the document and issues nothing; its number is taken in a savepoint
with the row, so a lost race rolls the number back too and leaves no gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from mall.invoices import snapshot
from mall.invoices.errors import InvoiceError
from mall.invoices.models import DocumentKind, Invoice, InvoiceSettings
from mall.invoices.numbers import take_document_number
from mall.orders.models import Order, OrderRefund
from mall.orders.shipment_queries import order_lines
from tenants.guard import scoped_get
from tenants.models import Tenant

MAX_LEGAL_NAME = 200
MAX_VAT_NUMBER = 40
MAX_FOOTER = 500
MAX_ADDRESS = 500


def get_document(document_id: UUID | str | None) -> Invoice | None:
    """The invoice or credit note of the shop in context with this id, or None."""
    return scoped_get(Invoice, document_id)


def documents_of_order(order: Order) -> list[Invoice]:
    """The order's invoice and credit notes, invoice first, then by number (one query)."""
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.order_id == order.id)
            .order_by(Invoice.kind.desc(), Invoice.sequence)
        )
    )


def _find(kind: DocumentKind, source_id: UUID) -> Invoice | None:
    return db.session.scalar(
        sa.select(Invoice).where(Invoice.kind == kind, Invoice.source_id == source_id)
    )


def _invoice_of(order: Order) -> Invoice | None:
    """The order's invoice: its own, or one issued before it existed (an invoice staff entered,
    linked to the order its payment made, ``mall.orders.entry``): one invoice per sale."""
    return db.session.scalar(
        sa.select(Invoice)
        .where(Invoice.kind == DocumentKind.INVOICE, Invoice.order_id == order.id)
        .order_by(Invoice.sequence)
        .limit(1)
    )


def invoice_settings() -> InvoiceSettings | None:
    """The invoice details of the shop in context, or None when it never gave any."""
    return db.session.scalar(sa.select(InvoiceSettings))


def issue_invoice(order: Order) -> tuple[Invoice, bool]:
    """The order's invoice, issued now if it has none: (the invoice, issued now?).

    Call in the order's shop context, in the transaction that paid it.
    """
    existing = _invoice_of(order)
    if existing is not None:
        return existing, False
    shop = db.session.get(Tenant, order.tenant_id)
    settings = invoice_settings()
    frozen = snapshot.invoice_snapshot(
        order, order_lines(order), seller=snapshot.seller_details(shop, settings)
    )
    return _issue(
        shop,
        order,
        DocumentKind.INVOICE,
        source_id=order.id,
        frozen=frozen,
        seller=snapshot.sealed_seller(shop, settings),
    )


def issue_credit_note(order: Order, refund: OrderRefund) -> tuple[Invoice | None, bool]:
    """The refund's credit note, issued now if it has none: (the note, issued now?).

    An order that was never invoiced (paid before invoices existed, or paid after
    its stock was sold) gets no credit note: (None, False). Call in the order's
    shop context, in the transaction that refunded it.
    """
    existing = _find(DocumentKind.CREDIT_NOTE, refund.id)
    if existing is not None:
        return existing, False
    invoice = _invoice_of(order)
    if invoice is None:
        return None, False
    before = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OrderRefund.shipping), 0)).where(
            OrderRefund.order_id == order.id,
            OrderRefund.id != refund.id,
            sa.or_(
                OrderRefund.created_at < refund.created_at,
                sa.and_(OrderRefund.created_at == refund.created_at, OrderRefund.id < refund.id),
            ),
        )
    )
    shop = db.session.get(Tenant, order.tenant_id)
    settings = invoice_settings()
    frozen = snapshot.credit_note_snapshot(
        order,
        refund,
        order_lines(order),
        shipping_before=int(before or 0),
        invoice_number=invoice.number,
        seller=snapshot.seller_details(shop, settings),
    )
    return _issue(
        shop,
        order,
        DocumentKind.CREDIT_NOTE,
        source_id=refund.id,
        frozen=frozen,
        seller=snapshot.sealed_seller(shop, settings),
    )


def _issue(
    shop: Tenant,
    order: Order,
    kind: DocumentKind,
    *,
    source_id: UUID,
    frozen: dict,
    seller: str,
) -> tuple[Invoice, bool]:
    try:
        with db.session.begin_nested():  # a lost race rolls its number back with the row
            number, sequence = take_document_number(shop, kind)
            document = Invoice(
                tenant_id=order.tenant_id,
                kind=kind,
                number=number,
                sequence=sequence,
                order_id=order.id,
                source_id=source_id,
                currency=order.currency,
                total=frozen["totals"]["total"],
                tax=frozen["totals"]["tax"],
                snapshot=frozen,
            )
            document.buyer_json = snapshot.sealed_buyer(order)
            document.seller_json = seller
            db.session.add(document)
            db.session.flush()
    except IntegrityError:
        found = _find(kind, source_id)
        if found is None:
            raise
        return found, False
    return document, True


@dataclass(frozen=True)
class InvoiceDetails:
    """What the shop's staff typed for its invoices."""

    legal_name: str = ""
    vat_number: str = ""
    address: str = ""
    footer: str = ""


def update_invoice_settings(shop: Tenant, *, details: InvoiceDetails) -> bool:
    """Save the shop's invoice details (for documents issued from now on); False if unchanged.

    Raises InvoiceError naming a value that is too long. Issued documents keep
    the details they were issued with.
    """
    clean = InvoiceDetails(
        legal_name=" ".join(details.legal_name.split()),
        vat_number=" ".join(details.vat_number.split()),
        address="\n".join(row.strip() for row in details.address.strip().splitlines()),
        footer=details.footer.strip(),
    )
    for value, limit, what in (
        (clean.legal_name, MAX_LEGAL_NAME, "The legal name"),
        (clean.vat_number, MAX_VAT_NUMBER, "The VAT number"),
        (clean.address, MAX_ADDRESS, "The address"),
        (clean.footer, MAX_FOOTER, "The footer"),
    ):
        if len(value) > limit:
            raise InvoiceError(f"{what} has at most {limit} characters.")
    settings = invoice_settings()
    if settings is None:
        settings = InvoiceSettings(tenant_id=shop.id)
        db.session.add(settings)
    elif (
        settings.legal_name,
        settings.vat_number,
        (settings.address if settings.address_ct else "") or "",
        settings.footer,
    ) == (clean.legal_name, clean.vat_number, clean.address, clean.footer):
        return False
    settings.legal_name = clean.legal_name
    settings.vat_number = clean.vat_number
    settings.footer = clean.footer
    settings.address = clean.address or None
    db.session.flush()
    return True
