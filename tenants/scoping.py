"""The ``TenantScoped`` mixin and the composite foreign key between tenant tables.

Rules for a tenant table (they are Citus's rules for co-located tables):
``tenant_id`` leads the primary key ``(tenant_id, id)``, every unique
constraint and every foreign key to another tenant table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from mall.db import new_id


class TenantScoped:
    """Mix into a model whose rows belong to one shop."""

    tenant_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("tenants.id"), primary_key=True, sort_order=-100
    )
    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-99)


def tenant_fk(columns: Sequence[str], target: str, **kwargs: object) -> sa.ForeignKeyConstraint:
    """A foreign key to another tenant table that includes ``tenant_id``."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{target}.tenant_id", f"{target}.id"], **kwargs
    )


def tenant_unique(*columns: str, name: str | None = None) -> sa.UniqueConstraint:
    """A uniqueness rule inside one shop: ``(tenant_id, *columns)``."""
    return sa.UniqueConstraint("tenant_id", *columns, name=name)


def tenant_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """Every table in ``metadata`` whose mapped class is ``TenantScoped``."""
    return [t for t in metadata.sorted_tables if t.name in _tenant_table_names()]


def is_tenant_table(name: str) -> bool:
    """True when a mapped ``TenantScoped`` class owns the table ``name``."""
    return name in _tenant_table_names()


def tenant_models() -> Iterable[type]:
    """Every mapped ``TenantScoped`` class (in any registry)."""
    seen: set[type] = set()
    stack = list(TenantScoped.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls not in seen and "__table__" in cls.__dict__:
            seen.add(cls)
    return sorted(seen, key=lambda c: c.__name__)


def tenant_table_set() -> frozenset[sa.Table]:
    """The tables of every mapped ``TenantScoped`` class, found once per newly mapped class."""
    global _tables
    if _tables is None:
        _tables = frozenset(cls.__table__ for cls in tenant_models())
    return _tables


def _tenant_table_names() -> set[str]:
    return {table.name for table in tenant_table_set()}


# The guard asks on every statement outside a shop's scope; walking the class tree each
# time cost more than the check. A class mapped later (a test's model) clears the cache.
_tables: frozenset[sa.Table] | None = None


@event.listens_for(Mapper, "instrument_class")
def _forget_tenant_tables(mapper: Mapper, cls: type) -> None:
    global _tables
    _tables = None
