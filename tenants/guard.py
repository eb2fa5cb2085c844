"""The ORM guard: every ORM statement on a tenant table is scoped to the shop in context.

- ``do_orm_execute`` adds ``with_loader_criteria(TenantScoped, tenant_id == …)``
  to selects, relationship loads and bulk UPDATE/DELETE; outside any context a
  statement that touches a tenant table raises ``TenantContextRequired``.
- ``before_flush`` stamps ``tenant_id`` on new rows and refuses rows of another shop.
- Before each statement and flush, the scope is copied into PostgreSQL
  (``mall.tenant_id``, local to the transaction), where row-level security
  enforces it again without trusting the ORM. Only a change costs a
  ``set_config``: a page that reads one shop's rows sets it once; a transaction
  that only reads platform tables never does (an unset value matches no row).

``session.get()`` answers from the identity map without SQL, so code reads
tenant rows by id through ``scoped_get``, whose key includes the tenant.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from mall.extensions import db
from tenants.context import (
    CrossTenantWrite,
    TenantContextRequired,
    current_scope,
    current_tenant_id,
    forget_database_scope,
    set_database_scope,
)
from tenants.scoping import TenantScoped, tenant_table_set

M = TypeVar("M", bound=TenantScoped)


def scoped_get(model: type[M], id: UUID | str | None) -> M | None:
    """Fetch a row of the shop in context by id; None for another shop's id."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextRequired(f"{model.__name__} read by id outside a tenant context")
    try:
        key = id if isinstance(id, UUID) else UUID(str(id))
    except ValueError:
        return None
    return db.session.get(model, (tenant_id, key))


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_statements(state: ORMExecuteState) -> None:
    set_database_scope(state.session.connection())
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current_scope()
    if scope.is_all:
        return
    if scope.tenant_id is None:
        if _touches_tenant_table(state):
            raise TenantContextRequired(
                "a tenant table was queried outside tenant_context()/all_tenants()"
            )
        return
    tenant_id = scope.tenant_id
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    tables = tenant_table_set()
    return any(
        isinstance(element, sa.Table) and element in tables
        for element in sa.sql.visitors.iterate(state.statement)
    )


@event.listens_for(Session, "before_flush")
def _stamp_and_check_tenant(session: Session, flush_context: object, instances: object) -> None:
    set_database_scope(session.connection())
    scope = current_scope()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if scope.tenant_id is not None and obj.tenant_id is None:
            obj.tenant_id = scope.tenant_id
        _check_write(obj, scope)
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, TenantScoped):
            _check_write(obj, scope)


def _check_write(obj: TenantScoped, scope: object) -> None:
    if scope.is_all:  # type: ignore[attr-defined]
        if obj.tenant_id is None:
            raise TenantContextRequired(
                f"{type(obj).__name__} written under all_tenants() without a tenant_id"
            )
        return
    tenant_id = scope.tenant_id  # type: ignore[attr-defined]
    if tenant_id is None:
        raise TenantContextRequired(f"{type(obj).__name__} written outside a tenant context")
    if obj.tenant_id != tenant_id:
        raise CrossTenantWrite(
            f"{type(obj).__name__} of another shop refused in this shop's context"
        )


@event.listens_for(sa.Engine, "begin")
def _scope_new_transaction(connection: sa.Connection) -> None:
    # A new transaction holds nothing yet; savepoints inside it keep what it holds.
    forget_database_scope(connection, known_empty=True)


@event.listens_for(sa.Engine, "rollback_savepoint")
def _savepoint_rolled_back(connection: sa.Connection, name: str, context: object) -> None:
    # ROLLBACK TO SAVEPOINT restores the value set before it: set it again next time.
    forget_database_scope(connection, known_empty=False)
