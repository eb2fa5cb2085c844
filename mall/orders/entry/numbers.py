"""Quote numbers per shop without gaps: ``ACME-Q-1``, ``ACME-Q-2``…

The technique of ``mall.invoices.numbers``: one counter row per shop and series
(``sales_counters``), created once (an insert that ignores a concurrent twin) and
advanced by one ``UPDATE … RETURNING`` in the transaction that sends the quote.
The row lock serialises concurrent sends in one shop and a rollback takes its
number back with it. Invoices take the shop's invoice series instead
(``mall.invoices.numbers.take_document_number``): one series for web and typed invoices.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mall.db import new_id
from mall.extensions import db
from mall.orders.entry.models import SalesCounter
from mall.orders.numbers import order_prefix
from tenants.models import Tenant

QUOTE_SERIES = "quote"
SERIES_MARK = {QUOTE_SERIES: "Q"}


def take_sales_number(shop: Tenant, series: str = QUOTE_SERIES) -> str:
    """The shop's next number in ``series`` (``ACME-Q-7``). Call in the shop's context."""
    _ensure_counter(shop, series)
    number = db.session.execute(
        sa.update(SalesCounter)
        .where(SalesCounter.tenant_id == shop.id, SalesCounter.series == series)
        .values(last_number=SalesCounter.last_number + 1)
        .returning(SalesCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{order_prefix(shop)}-{SERIES_MARK[series]}-{number}"


def _ensure_counter(shop: Tenant, series: str) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(SalesCounter)
        .values(tenant_id=shop.id, id=new_id(), series=series, last_number=0)
        .on_conflict_do_nothing()
    )
