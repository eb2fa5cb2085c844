"""What a sales rep may read of the shop's invoices and credit notes.

Issue 14: "a sales rep sees the quotes, invoices and orders they entered; managers see
all". On the order list a rep sees web orders and their own entered orders
(``mall.orders.queries``); the same holds here. A document is a colleague's when it is
the invoice of a sales document someone else entered (``source_id``, paid or not), or
when it belongs to an order someone else entered (its invoice and credit notes). Both
checks are ``EXISTS`` on a primary key, so the list costs the same whatever it shows.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.orders.entry.models import SalesDocument
from mall.orders.models import Order
from mall.pagination import Page, paginate
from tenants.guard import scoped_get


def visible_to_rep(rep_id: UUID) -> sa.ColumnElement[bool]:
    """The criterion on ``Invoice``: not a document a colleague of ``rep_id`` entered."""
    # Entry's own rule: a rep sees only the sales documents they entered themselves.
    colleagues_sale = sa.exists().where(
        SalesDocument.tenant_id == Invoice.tenant_id,
        SalesDocument.id == Invoice.source_id,
        Invoice.kind == DocumentKind.INVOICE,
        sa.or_(SalesDocument.entered_by_id.is_(None), SalesDocument.entered_by_id != rep_id),
    )
    # The orders' rule: web orders (nobody entered them) and the rep's own.
    colleagues_order = sa.exists().where(
        Order.tenant_id == Invoice.tenant_id,
        Order.id == Invoice.order_id,
        Order.entered_by_id.is_not(None),
        Order.entered_by_id != rep_id,
    )
    return sa.and_(~colleagues_sale, ~colleagues_order)


def document_list(
    *, page: int, per_page: int, kind: DocumentKind | None = None, rep_id: UUID | None = None
) -> Page:
    """The shop's invoices and credit notes, newest first (two queries per page); a sales rep
    (``rep_id``) gets those of web orders and of what they entered only."""
    query = sa.select(Invoice).order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    if kind is not None:
        query = query.where(Invoice.kind == kind)
    if rep_id is not None:
        query = query.where(visible_to_rep(rep_id))
    return paginate(query, page=page, per_page=per_page)


def visible_document(document_id: UUID | str | None, *, rep_id: UUID | None) -> Invoice | None:
    """The shop's invoice or credit note with this id, if the viewer may read it, else None:
    a sales rep (``rep_id``) never gets a colleague's."""
    found = scoped_get(Invoice, document_id)
    if found is None or rep_id is None:
        return found
    allowed = db.session.scalar(
        sa.select(sa.literal(True))
        .select_from(Invoice)
        .where(Invoice.tenant_id == found.tenant_id, Invoice.id == found.id, visible_to_rep(rep_id))
    )
    return found if allowed else None
