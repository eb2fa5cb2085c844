"""Per-shop document numbers without gaps: ``ACME-INV-1``, ``ACME-INV-2``… and ``ACME-CN-1``…

The technique of ``mall.orders.numbers``: one counter row per shop and series,
created once (an insert that ignores a concurrent twin) and advanced by one
``UPDATE … RETURNING`` inside the transaction that issues the document. The row
lock serialises concurrent issues in one shop, and a rolled-back transaction
rolls its number back with it: no gaps, no repeats.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mall.db import new_id
from mall.extensions import db
from mall.invoices.models import DocumentKind, InvoiceCounter
from mall.orders.numbers import order_prefix
from tenants.models import Tenant

SERIES_MARK = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}


def take_document_number(shop: Tenant, series: DocumentKind) -> tuple[str, int]:
    """The shop's next number in ``series``: (``ACME-INV-7``, 7). Call in the shop's context."""
    _ensure_counter(shop, series)
    number = db.session.execute(
        sa.update(InvoiceCounter)
        .where(InvoiceCounter.tenant_id == shop.id, InvoiceCounter.series == series)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{order_prefix(shop)}-{SERIES_MARK[series]}-{number}", number


def _ensure_counter(shop: Tenant, series: DocumentKind) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(InvoiceCounter)
        .values(tenant_id=shop.id, id=new_id(), series=series.value, last_number=0)
        .on_conflict_do_nothing()
    )
