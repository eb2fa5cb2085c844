"""Per-shop order numbers without gaps: ``ACME-1001``, ``ACME-1002``…

The counter row is created once per shop (an insert that ignores a concurrent
twin) and advanced by one ``UPDATE … RETURNING`` inside the transaction that
creates the order. The row lock serialises concurrent checkouts of one shop,
and a rolled-back checkout rolls its number back with it: no gaps, no repeats.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mall.extensions import db
from mall.orders.models import OrderCounter
from tenants.models import Tenant

FIRST_NUMBER = 1001
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def order_prefix(shop: Tenant) -> str:
    """The shop's order number prefix: its slug in capitals, hyphens out (``acme``: ACME)."""
    return _NOT_ALNUM.sub("", shop.slug.upper())[:12] or "ORDER"


def take_order_number(shop: Tenant) -> str:
    """The shop's next order number (call inside the shop's tenant context)."""
    _ensure_counter(shop)
    number = db.session.execute(
        sa.update(OrderCounter)
        .where(OrderCounter.tenant_id == shop.id)
        .values(last_number=OrderCounter.last_number + 1)
        .returning(OrderCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{order_prefix(shop)}-{number}"


def _ensure_counter(shop: Tenant) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(OrderCounter)
        .values(tenant_id=shop.id, id=shop.id, last_number=FIRST_NUMBER - 1)
        .on_conflict_do_nothing()
    )
