"""Per-shop purchasing numbers without gaps: ``ACME-PO-1``, ``ACME-BILL-1``, ``ACME-VCN-1``.

The technique of ``mall.invoices.numbers``: one ``purchase_counters`` row per shop
and series, created once (an insert that ignores a concurrent twin) and advanced
by one ``UPDATE … RETURNING`` inside the transaction that creates the document.
The row lock serialises concurrent takers in one shop, and a rolled-back
transaction rolls its number back with it: no gaps, no repeats.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mall.db import new_id
from mall.extensions import db
from mall.orders.numbers import order_prefix
from tenants.models import Tenant
from vendors.models import PurchaseCounter

# series -> the mark in the number
SERIES_MARK = {"po": "PO", "bill": "BILL", "credit": "VCN"}


def take_purchase_number(shop: Tenant, series: str) -> str:
    """The shop's next number in ``series`` (``po``, ``bill``, ``credit``): ``ACME-PO-7``.

    Call inside the shop's tenant context, in the transaction that uses the number.
    """
    mark = SERIES_MARK[series]  # KeyError for an unknown series: a programming error
    _ensure_counter(shop, series)
    number = db.session.execute(
        sa.update(PurchaseCounter)
        .where(PurchaseCounter.tenant_id == shop.id, PurchaseCounter.series == series)
        .values(last_number=PurchaseCounter.last_number + 1)
        .returning(PurchaseCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{order_prefix(shop)}-{mark}-{number}"


def _ensure_counter(shop: Tenant, series: str) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(PurchaseCounter)
        .values(tenant_id=shop.id, id=new_id(), series=series, last_number=0)
        .on_conflict_do_nothing()
    )
