"""Which shop the current code works for: a ``contextvars`` value.

``tenant_context(shop)`` scopes everything inside it to one shop;
``all_tenants(reason)`` is the one door to cross-tenant reads (mall-wide
catalog, operator console, sweeping jobs); outside both, tenant tables are
closed. ``tenants.guard`` mirrors the scope into PostgreSQL's ``mall.tenant_id``
setting before the next statement that needs it (once per change per
transaction), so that row-level security enforces the same scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import sqlalchemy as sa

from mall.jobs import TenantScopeHooks, register_tenant_scope

if TYPE_CHECKING:
    from tenants.models import Tenant


class TenantContextRequired(RuntimeError):
    """A tenant table was touched outside any tenant context (fail closed)."""


class CrossTenantWrite(RuntimeError):
    """A row of another shop was about to be written in this shop's context."""


@dataclass(frozen=True)
class Scope:
    """The current scope: one shop, every shop (with a reason), or none."""

    tenant_id: UUID | None = None
    all_reason: str | None = None

    @property
    def is_all(self) -> bool:
        return self.all_reason is not None

    @property
    def rls_value(self) -> str:
        """The value of ``mall.tenant_id`` that row-level security reads."""
        if self.is_all:
            return "*"
        return str(self.tenant_id) if self.tenant_id else ""


NO_SCOPE = Scope()
_scope: ContextVar[Scope] = ContextVar("mall_tenant_scope", default=NO_SCOPE)
_tenant: ContextVar[Tenant | None] = ContextVar("mall_current_tenant", default=None)


def current_scope() -> Scope:
    """The scope in force here."""
    return _scope.get()


def current_tenant_id() -> UUID | None:
    """The id of the shop in context, or None."""
    return _scope.get().tenant_id


def current_tenant() -> Tenant | None:
    """The shop in context (as entered), or None."""
    return _tenant.get()


@contextmanager
def tenant_context(tenant: Tenant | UUID) -> Iterator[Scope]:
    """Scope the code inside to one shop."""
    tenant_id = tenant if isinstance(tenant, UUID) else tenant.id
    scope_token = _scope.set(Scope(tenant_id=tenant_id))
    tenant_token = _tenant.set(None if isinstance(tenant, UUID) else tenant)
    try:
        yield _scope.get()
    finally:
        _tenant.reset(tenant_token)
        _scope.reset(scope_token)


@contextmanager
def all_tenants(reason: str) -> Iterator[Scope]:
    """Open every shop's rows for a cross-tenant read; ``reason`` says why."""
    if not reason or not reason.strip():
        raise ValueError("all_tenants() needs a reason")
    scope_token = _scope.set(Scope(all_reason=reason))
    tenant_token = _tenant.set(None)
    try:
        yield _scope.get()
    finally:
        _tenant.reset(tenant_token)
        _scope.reset(scope_token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Leave any tenant scope (e.g. a job wrapper that starts clean)."""
    scope_token = _scope.set(NO_SCOPE)
    tenant_token = _tenant.set(None)
    try:
        yield
    finally:
        _tenant.reset(tenant_token)
        _scope.reset(scope_token)


register_tenant_scope(
    TenantScopeHooks(
        current_tenant_id=current_tenant_id, enter_tenant=tenant_context, leave_all=no_tenant
    )
)


_SET_SCOPE = sa.text("SELECT set_config('mall.tenant_id', :value, true)")
# connection.info key: the mall.tenant_id the open transaction holds (None: not known).
_HELD = "mall.rls_scope"


def forget_database_scope(connection: sa.Connection, *, known_empty: bool) -> None:
    """A transaction began (``known_empty``: nothing set in it yet) or a savepoint rolled back."""
    connection.info[_HELD] = "" if known_empty else None


def set_database_scope(connection: sa.Connection) -> None:
    """Make ``mall.tenant_id`` hold the scope in force (PostgreSQL only; no-op when it does)."""
    if connection.dialect.name != "postgresql":
        return
    wanted = current_scope().rls_value
    if connection.info.get(_HELD) == wanted:
        return
    connection.execute(_SET_SCOPE, {"value": wanted})
    connection.info[_HELD] = wanted
