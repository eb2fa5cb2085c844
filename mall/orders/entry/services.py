"""Quotes and invoices entered by staff: made, copied, read and listed.

Every function works in the shop's tenant context. A document is made once per
form (``request_key``, unique per shop: a double submit, even two at once, finds
the first). Its figures come from ``pricing.price_entry``; the customer is the
shop's CRM customer with that email (found by its blind index, or added through
the CRM's own service). What it moves on to (sent, issued, paid, void) is in
``lifecycle`` and ``payment``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.accounts.addresses import PostalAddress
from mall.crm.customers import find_customer, find_or_add_customer
from mall.crm.models import CrmCustomer
from mall.extensions import db
from mall.money import currency
from mall.orders.entry.errors import EntryError
from mall.orders.entry.models import SalesDocument, SalesDocumentLine, SalesKind, SalesStatus
from mall.orders.entry.pricing import LineInput, Priced, line_options, price_entry
from mall.pagination import KeysetPage, Position, keyset_paginate
from mall.pricing.models import ShippingMethod
from tenants.guard import scoped_get
from tenants.models import Tenant

MAX_NOTE = 1000
MAX_NAME = 200
MAX_PHONE = 40
MAX_KEY = 40


@dataclass(frozen=True)
class CustomerInput:
    """Who the document is for: found in the CRM by email, or added with these details."""

    email: str
    name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class DocumentInput:
    """What staff typed on the new-document form."""

    kind: SalesKind
    customer: CustomerInput
    lines: list[LineInput] = field(default_factory=list)
    shipping_address: PostalAddress | None = None
    billing_address: PostalAddress | None = None
    shipping_method_id: UUID | None = None
    note: str = ""
    valid_until: date | None = None


def get_sales_document(document_id: UUID | str | None) -> SalesDocument | None:
    """The quote or invoice of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(SalesDocument, document_id)


def visible_document(
    document_id: UUID | str | None, *, rep_id: UUID | None
) -> SalesDocument | None:
    """The document, if the viewer may see it: a sales rep (``rep_id``) only their own."""
    found = get_sales_document(document_id)
    if found is None or (rep_id is not None and found.entered_by_id != rep_id):
        return None
    return found


def existing_customer(email: str) -> CrmCustomer | None:
    """The shop's CRM customer with exactly this email (blind index), or None."""
    return find_customer(email) if email.strip() else None


def price(data: DocumentInput, *, tenant_id: UUID) -> Priced:
    """The figures the form shows before saving (and saves): one function for both."""
    address = data.shipping_address
    return price_entry(
        data.lines,
        tenant_id=tenant_id,
        country=address.country if address else None,
        shipping_method_id=data.shipping_method_id,
    )


def _by_key(request_key: str) -> SalesDocument | None:
    return db.session.scalar(
        sa.select(SalesDocument).where(SalesDocument.request_key == request_key)
    )


def _check_input(data: DocumentInput, request_key: str) -> None:
    if not request_key or len(request_key) > MAX_KEY:
        raise EntryError("This form expired: reload the page and try again.")
    if len(data.note) > MAX_NOTE:
        raise EntryError(f"The note has at most {MAX_NOTE} characters.", field="note")
    if len(data.customer.name) > MAX_NAME:
        raise EntryError(f"The name has at most {MAX_NAME} characters.", field="customer_name")
    if len(data.customer.phone) > MAX_PHONE:
        raise EntryError(f"The phone has at most {MAX_PHONE} characters.", field="customer_phone")
    if "@" not in data.customer.email:
        raise EntryError("Enter the customer's email address.", field="customer_email")


def create_document(
    data: DocumentInput, *, shop: Tenant, actor_id: UUID | None, request_key: str
) -> tuple[SalesDocument, bool]:
    """A draft quote or invoice from the form, once per ``request_key``: (it, made now?).

    Raises EntryError naming the field at fault (unknown SKU, a changed price
    without a reason, a quantity out of range…).
    """
    _check_input(data, request_key)
    found = _by_key(request_key)
    if found is not None:
        return found, False
    priced = price(data, tenant_id=shop.id)
    customer = find_or_add_customer(data.customer.email, name=data.customer.name or None)
    document = SalesDocument(
        tenant_id=shop.id,
        kind=data.kind,
        status=SalesStatus.DRAFT,
        customer_id=customer.id,
        currency=currency(),
        note=data.note.strip(),
        entered_by_id=actor_id,
        request_key=request_key,
        valid_until=data.valid_until,
    )
    _seal_contact(document, data)
    _set_figures(document, priced)
    try:
        with db.session.begin_nested():
            db.session.add(document)
            db.session.flush()
            _add_lines(document, priced)
    except IntegrityError:
        again = _by_key(request_key)
        if again is None:
            raise
        return again, False
    return document, True


def _seal_contact(document: SalesDocument, data: DocumentInput) -> None:
    name = data.customer.name.strip()
    document.email = data.customer.email.strip()
    document.name = name or None
    document.phone = data.customer.phone.strip() or None
    if data.shipping_address is not None:
        document.shipping_address_json = data.shipping_address.to_json()
    billing = data.billing_address or data.shipping_address
    if billing is not None:
        document.billing_address_json = billing.to_json()


def _set_figures(document: SalesDocument, priced: Priced) -> None:
    part = priced.part
    document.subtotal = part.subtotal
    document.discount = part.discount
    document.shipping_method_id = part.shipping.method_id if part.shipping else None
    document.shipping_method_name = part.shipping.name[:100] if part.shipping else ""
    document.shipping_amount = part.shipping_amount
    document.tax = part.tax
    document.total = part.total
    document.prices_include_tax = part.prices_include_tax


def _add_lines(document: SalesDocument, priced: Priced) -> None:
    for position, (line, entry, list_price) in enumerate(
        zip(priced.part.lines, priced.inputs, priced.list_prices, strict=True)
    ):
        variant = priced.variants[line.line.variant_id]
        db.session.add(
            SalesDocumentLine(
                tenant_id=document.tenant_id,
                document_id=document.id,
                position=position,
                product_id=line.line.product_id,
                variant_id=variant.id,
                title=variant.product.title[:200],
                sku=variant.sku,
                options=line_options(variant),
                quantity=line.line.quantity,
                list_price=list_price,
                unit_price=line.line.unit_price,
                price_override_reason=entry.price_reason.strip()[:200]
                if line.line.unit_price != list_price
                else "",
                discount=line.discount,
                discount_reason=entry.discount_reason.strip()[:200] if line.discount else "",
                tax_rate_bp=line.tax_rate_bp,
                tax=line.tax,
                total=line.total,
            )
        )
    db.session.flush()


_COPIED = (
    "customer_id",
    "name_ct",
    "email_ct",
    "email_index",
    "phone_ct",
    "shipping_address_ct",
    "billing_address_ct",
    "currency",
    "subtotal",
    "discount",
    "shipping_method_id",
    "shipping_method_name",
    "shipping_amount",
    "tax",
    "total",
    "prices_include_tax",
    "note",
)
_LINE_COPIED = (
    "position",
    "product_id",
    "variant_id",
    "title",
    "sku",
    "options",
    "quantity",
    "list_price",
    "unit_price",
    "price_override_reason",
    "discount",
    "discount_reason",
    "tax_rate_bp",
    "tax",
    "total",
)


def copy_document(
    template: SalesDocument,
    *,
    actor_id: UUID | None,
    request_key: str,
    kind: SalesKind = SalesKind.INVOICE,
) -> SalesDocument:
    """A new draft with ``template``'s customer, lines, shipping and note (agreed figures kept).

    Once per ``request_key``: a repeat returns the copy made the first time.
    """
    found = _by_key(request_key)
    if found is not None:
        return found
    copy = _copy_row(template, actor_id=actor_id, request_key=request_key, kind=kind)
    try:
        with db.session.begin_nested():
            db.session.add(copy)
            db.session.flush()
            for line in template.lines:
                values = {name: getattr(line, name) for name in _LINE_COPIED}
                db.session.add(
                    SalesDocumentLine(tenant_id=copy.tenant_id, document_id=copy.id, **values)
                )
            db.session.flush()
    except IntegrityError:
        again = _by_key(request_key)
        if again is None:
            raise
        return again
    return copy


def _copy_row(
    template: SalesDocument, *, actor_id: UUID | None, request_key: str, kind: SalesKind
) -> SalesDocument:
    # The sealed copies are bound to their row: opened from the template, sealed again here.
    copy = SalesDocument(
        tenant_id=template.tenant_id,
        kind=kind,
        status=SalesStatus.DRAFT,
        entered_by_id=actor_id or template.entered_by_id,
        request_key=request_key,
        **{
            name: getattr(template, name)
            for name in _COPIED
            if not name.endswith(("_ct", "_index"))
        },
    )
    copy.email = template.email
    copy.name = template.name if template.name_ct else None
    copy.phone = template.phone if template.phone_ct else None
    if template.shipping_address_ct:
        copy.shipping_address_json = template.shipping_address_json
    if template.billing_address_ct:
        copy.billing_address_json = template.billing_address_json
    return copy


def document_list(
    *,
    kind: SalesKind,
    status: SalesStatus | None = None,
    rep_id: UUID | None = None,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """One page of the shop's quotes or invoices, newest first (a rep's own only, with ``rep_id``).

    Paged by position on ``(tenant_id, kind, created_at, id)``: three queries wherever it is.
    """
    query = sa.select(SalesDocument).where(SalesDocument.kind == kind)
    if status is not None:
        query = query.where(SalesDocument.status == status)
    if rep_id is not None:
        query = query.where(SalesDocument.entered_by_id == rep_id)
    return keyset_paginate(
        query,
        moment=SalesDocument.created_at,
        row_id=SalesDocument.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )


def shipping_methods() -> list[ShippingMethod]:
    """The shop's active shipping methods, in its order (for the form's choice)."""
    return list(
        db.session.scalars(
            sa.select(ShippingMethod)
            .where(ShippingMethod.active.is_(True))
            .order_by(ShippingMethod.position, ShippingMethod.name, ShippingMethod.id)
        )
    )


def opened_address(document: SalesDocument, which: str = "shipping") -> PostalAddress | None:
    """The document's sealed address, opened (for staff and the customer's pay page)."""
    if which == "shipping":
        sealed = document.shipping_address_json if document.shipping_address_ct else None
    else:
        sealed = document.billing_address_json if document.billing_address_ct else None
    return PostalAddress.from_json(sealed) if sealed else None
