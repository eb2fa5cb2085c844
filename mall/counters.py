"""Per-shop numbers without gaps, for any counter table (orders, invoices, quotes, POs).

One counter row per shop (and series), created once by an insert that ignores a
concurrent twin, and advanced by one ``UPDATE … RETURNING`` inside the transaction
that uses the number. The row lock serialises concurrent takers in one shop, and a
rolled-back transaction rolls its number back with it: no gaps, no repeats.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mall.db import new_id
from mall.extensions import db


def take_next(
    counter: Any,
    *,
    tenant_id: UUID,
    series: str | None = None,
    start: int = 0,
    row_id: UUID | None = None,
) -> int:
    """The next number of ``counter`` (a model with ``tenant_id`` and ``last_number``, and
    ``series`` when given) for one shop; the first is ``start + 1``. ``row_id`` fixes the
    counter row's id (a table with one row per shop keys it by the shop)."""
    _ensure_row(counter, tenant_id=tenant_id, series=series, start=start, row_id=row_id)
    match = [counter.tenant_id == tenant_id]
    if series is not None:
        match.append(counter.series == series)
    return db.session.execute(
        sa.update(counter)
        .where(*match)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _ensure_row(
    counter: Any, *, tenant_id: UUID, series: str | None, start: int, row_id: UUID | None
) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": row_id or new_id(),
        "last_number": start,
    }
    if series is not None:
        values["series"] = series
    db.session.execute(insert(counter).values(**values).on_conflict_do_nothing())
