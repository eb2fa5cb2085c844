"""Which writes retire which cached pages: version counters bumped after commit.

Three kinds of counter name the public pages a write can change:

- ``shop:<id>``: that shop's pages (its front page, its product pages);
- ``listings``: mall-wide lists (home, categories), which show products and shops of every shop;
- ``tree``: the category tree, which every public page shows a part of (breadcrumbs, links).

A domain declares what its tables feed with ``watch(Model, shop=…, listings=…, tree=…)``.
Every insert, update or delete of a watched row, in a flush or in a bulk
statement, is noted on the session; after the commit the counters are bumped
once each (after a rollback nothing is). A bulk write under ``all_tenants``
cannot say which shops it touched, so it bumps ``tree``, which every key holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.context import current_scope

TREE = "tree"
LISTINGS = "listings"
_PENDING = "mall.page_versions"


def shop_version(tenant_id: UUID) -> str:
    """The counter of one shop's pages."""
    return f"shop:{tenant_id}"


@dataclass(frozen=True)
class Watch:
    """What a watched table's writes retire."""

    shop: Callable[[Any], UUID | None] | None
    listings: bool
    tree: bool


_watched: dict[type, Watch] = {}


def watch(
    model: type,
    *,
    shop: Callable[[Any], UUID | None] | None = None,
    listings: bool = False,
    tree: bool = False,
) -> None:
    """Declare that writes to ``model`` change public pages.

    ``shop(row)`` names the shop whose pages show the row (default: its
    ``tenant_id``, for tenant tables); ``listings`` and ``tree`` say whether
    mall-wide lists or every page show it.
    """
    if shop is None and hasattr(model, "tenant_id"):
        shop = _tenant_of
    _watched[model] = Watch(shop=shop, listings=listings, tree=tree)


def _tenant_of(row: Any) -> UUID | None:
    return row.tenant_id


def _names_for_row(spec: Watch, row: Any) -> set[str]:
    names = {LISTINGS} if spec.listings else set()
    if spec.tree:
        names.add(TREE)
    tenant_id = spec.shop(row) if spec.shop else None
    if tenant_id is not None:
        names.add(shop_version(tenant_id))
    return names


def _pending(session: Session) -> set[str]:
    return session.info.setdefault(_PENDING, set())


@event.listens_for(Session, "after_flush")
def _note_flushed_rows(session: Session, flush_context: object) -> None:
    if not _watched:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        spec = _watched.get(type(row))
        if spec is not None:
            _pending(session).update(_names_for_row(spec, row))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    spec = _watched.get(mapper.class_) if mapper is not None else None
    if spec is None:
        return
    scope = current_scope()
    names = {LISTINGS} if spec.listings else set()
    if spec.tree or scope.tenant_id is None:
        names.add(TREE)  # which shops' rows changed is not known here
    else:
        names.add(shop_version(scope.tenant_id))
    _pending(state.session).update(names)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    names = session.info.pop(_PENDING, None)
    if names and has_app_context():
        store = current_app.extensions.get("mall.pagecache")
        if store is not None:
            store.bump(sorted(names))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
