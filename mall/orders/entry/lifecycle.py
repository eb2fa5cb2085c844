"""A quote or invoice moving on: sent, issued, accepted, converted, void.

Each move is one conditional UPDATE (``WHERE status IN (:from)``), so a double
click, a second tab or a re-run job moves a document once and the others change
nothing (False). Numbers are taken in the same transaction, after the move
succeeded: a repeat takes none, a rollback gives it back (no gaps).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.entry.errors import EntryError
from mall.orders.entry.invoicing import freeze_invoice
from mall.orders.entry.jobs import send_document_email
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.numbers import take_sales_number
from mall.orders.entry.services import DocumentInput, copy_document, create_document
from mall.orders.entry.stock import check_stock_to_issue
from tenants.models import Tenant

DUE_DAYS = 14  # an invoice is due this many days after it is issued
QUOTE_VALID_DAYS = 30
OPEN = (SalesStatus.SENT, SalesStatus.ACCEPTED)
STATUS_WORDS = {
    SalesStatus.DRAFT: "a draft",
    SalesStatus.SENT: "sent",
    SalesStatus.ACCEPTED: "accepted",
    SalesStatus.INVOICED: "invoiced",
    SalesStatus.PAID: "paid",
    SalesStatus.VOID: "void",
}


def move(
    document: SalesDocument,
    sources: Iterable[SalesStatus],
    *also: sa.ColumnElement[bool],
    **values: Any,
) -> bool:
    """Set ``values`` on the document if its status is one of ``sources`` (and ``also`` holds),
    once; True if it moved."""
    changed = db.session.execute(
        sa.update(SalesDocument)
        .where(
            SalesDocument.tenant_id == document.tenant_id,
            SalesDocument.id == document.id,
            SalesDocument.status.in_(tuple(sources)),
            *also,
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(document)
    return changed == 1


def _shop(document: SalesDocument) -> Tenant:
    return db.session.get(Tenant, document.tenant_id)


def _what(document: SalesDocument) -> str:
    label = "Quote" if document.kind is SalesKind.QUOTE else "Invoice"
    return f"{label} {document.number}" if document.number else f"This {label.lower()}"


def issue_invoice(
    document: SalesDocument, *, actor_id: UUID | None, issued_on: date | None = None
) -> bool:
    """Issue a draft invoice: its number, the frozen ``invoices`` row, issue and due dates.

    False when it was issued before (a repeat). Raises EntryError for a quote or a void
    invoice.
    """
    if document.kind is not SalesKind.INVOICE:
        raise EntryError("A quote is sent, not issued: convert it to an invoice first.")
    day = issued_on or utcnow().date()
    if not move(
        document,
        (SalesStatus.DRAFT,),
        status=SalesStatus.SENT,
        issued_on=day,
        due_on=day + timedelta(days=DUE_DAYS),
    ):
        if document.status is SalesStatus.VOID:
            raise EntryError(f"{_what(document)} is void: it cannot be issued.")
        return False
    invoice = freeze_invoice(document, _shop(document))
    document.number = invoice.number
    document.invoice_id = invoice.id
    db.session.flush()
    return True


def _send_quote(document: SalesDocument) -> None:
    day = utcnow().date()
    if move(
        document,
        (SalesStatus.DRAFT,),
        status=SalesStatus.SENT,
        issued_on=day,
        valid_until=document.valid_until or day + timedelta(days=QUOTE_VALID_DAYS),
    ):
        document.number = take_sales_number(_shop(document))
        db.session.flush()


def send_document(document: SalesDocument, *, actor_id: UUID | None) -> None:
    """Email the document to its customer (after commit): a quote with its number taken now,
    an invoice issued first when it is a draft, with its PDF and pay link.

    Raises EntryError for a document that is void, paid or already invoiced, and for a
    draft invoice whose items are not in stock (its pay link could never work).
    """
    if document.status in (SalesStatus.VOID, SalesStatus.PAID, SalesStatus.INVOICED):
        raise EntryError(f"{_what(document)} is {STATUS_WORDS[document.status]}: it is not sent.")
    if document.kind is SalesKind.QUOTE:
        _send_quote(document)
    else:
        if document.status is SalesStatus.DRAFT:
            # Staff issuing by hand (the form's "Issue", the page's button); a recurring
            # invoice is issued by its schedule and paid late as "paid — out of stock".
            check_stock_to_issue(document)
        issue_invoice(document, actor_id=actor_id)
    document.sent_at = utcnow()
    db.session.flush()
    enqueue_after_commit(send_document_email, str(document.tenant_id), str(document.id))


def accept_quote(document: SalesDocument, *, actor_id: UUID | None) -> bool:
    """The customer accepted the quote (staff record it); False when it already was accepted."""
    if document.kind is not SalesKind.QUOTE:
        raise EntryError("Only a quote is accepted.")
    if move(document, (SalesStatus.DRAFT, SalesStatus.SENT), status=SalesStatus.ACCEPTED):
        if not document.number:  # accepted on the phone before it was ever sent
            document.number = take_sales_number(_shop(document))
            db.session.flush()
        return True
    if document.status is SalesStatus.ACCEPTED:
        return False
    raise EntryError(
        f"{_what(document)} is {STATUS_WORDS[document.status]}: it cannot be accepted."
    )


def convert_quote(
    quote: SalesDocument, *, actor_id: UUID | None, request_key: str
) -> SalesDocument:
    """A draft invoice made from the quote (once: the quote is then ``invoiced``).

    A repeat returns the invoice made the first time. Raises EntryError for a void quote.
    """
    return convert_quote_once(quote, actor_id=actor_id, request_key=request_key)[0]


def convert_quote_once(
    quote: SalesDocument, *, actor_id: UUID | None, request_key: str
) -> tuple[SalesDocument, bool]:
    """(the quote's invoice, made now?): ``convert_quote`` telling a repeat from the first time."""
    if quote.kind is not SalesKind.QUOTE:
        raise EntryError("Only a quote is converted to an invoice.")
    if not move(
        quote,
        (SalesStatus.DRAFT, SalesStatus.SENT, SalesStatus.ACCEPTED),
        status=SalesStatus.INVOICED,
    ):
        made = invoice_of_quote(quote)
        if made is None:
            raise EntryError(
                f"{_what(quote)} is {STATUS_WORDS[quote.status]}: it cannot be invoiced."
            )
        return made, False
    invoice = copy_document(
        quote, actor_id=actor_id, request_key=request_key, kind=SalesKind.INVOICE
    )
    invoice.quote_id = quote.id
    db.session.flush()
    return invoice, True


def invoice_of_quote(quote: SalesDocument) -> SalesDocument | None:
    """The invoice made from this quote, or None."""
    return db.session.scalar(
        sa.select(SalesDocument).where(
            SalesDocument.kind == SalesKind.INVOICE, SalesDocument.quote_id == quote.id
        )
    )


def void_document(document: SalesDocument, *, actor_id: UUID | None) -> bool:
    """Void an unpaid quote or invoice: its pay links stop working; its number stays used.

    False when it was void already. Raises EntryError when it is paid, or a payment
    was started for it (its order exists: cancel that order first).
    """
    if document.order_id is not None and document.status is not SalesStatus.VOID:
        raise EntryError(
            f"{_what(document)} has an order for its payment: cancel that order, or refund it."
        )
    sources = (SalesStatus.DRAFT, SalesStatus.SENT, SalesStatus.ACCEPTED)
    if move(
        document,
        sources,
        SalesDocument.order_id.is_(None),  # a payment started meanwhile wins
        status=SalesStatus.VOID,
        voided_at=utcnow(),
        pay_token_version=SalesDocument.pay_token_version + 1,
    ):
        return True
    if document.status is SalesStatus.VOID:
        return False
    if document.order_id is not None:
        raise EntryError(f"{_what(document)} has an order for its payment: it cannot be voided.")
    raise EntryError(f"{_what(document)} is {STATUS_WORDS[document.status]}: it cannot be voided.")


def enter_document(
    data: DocumentInput, *, shop: Tenant, actor_id: UUID | None, request_key: str, send: bool
) -> tuple[SalesDocument, bool]:
    """Save the typed document (once per ``request_key``) and, with ``send``, issue and email
    it at once: (the document, made now?). Raises EntryError naming the field at fault."""
    document, made = create_document(data, shop=shop, actor_id=actor_id, request_key=request_key)
    if send and document.status is SalesStatus.DRAFT:
        send_document(document, actor_id=actor_id)
    return document, made
