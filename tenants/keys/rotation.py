"""Rotation: re-encrypt a scope's rows under its new primary key, then retire the old one.

Safe alongside live writes: every row is rewritten with compare-and-set
(``WHERE column = <the ciphertext read>``), so a value written meanwhile is
never overwritten with older data. Resumable: the key store remembers which
versions are still being rotated away from, and rows already on the primary
version are skipped. Each batch commits (an exception to one-commit-per-command,
so that an interrupted rotation keeps its progress).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from tenants.context import tenant_context
from tenants.keys.cipher import VERSION_LENGTH, VERSION_OFFSET, FieldContext
from tenants.keys.fields import FieldSpec, encrypted_fields, key_service
from tenants.keys.service import PLATFORM
from tenants.scoping import TenantScoped

MAX_SWEEPS = 5


@dataclass
class RotationReport:
    """What a rotation did."""

    scope: str
    primary: int
    re_encrypted: int = 0
    retired: list[int] = field(default_factory=list)
    remaining: dict[int, int] = field(default_factory=dict)


def fields_of_scope(scope: str) -> list[FieldSpec]:
    """The encrypted fields whose rows can belong to ``scope``."""
    tenant = scope != PLATFORM
    return [
        f
        for f in encrypted_fields()
        if hasattr(f.model, "rows_of_scope") or issubclass(f.model, TenantScoped) == tenant
    ]


def _rows_of_scope(spec: FieldSpec, scope: str) -> sa.ColumnElement[bool]:
    """Which rows of the model hold values of ``scope`` (tenant rows: the context says)."""
    custom = getattr(spec.model, "rows_of_scope", None)
    return custom(scope) if custom is not None else sa.true()


@contextmanager
def in_scope(scope: str) -> Iterator[None]:
    """The tenant context a scope's rows are read and written in."""
    context = nullcontext() if scope == PLATFORM else tenant_context(UUID(scope.split(":", 1)[1]))
    with context:
        yield


def _version_expr(spec: FieldSpec) -> sa.ColumnElement:
    return sa.func.substr(getattr(spec.model, spec.attribute), VERSION_OFFSET, VERSION_LENGTH)


def version_counts(scope: str) -> dict[int, int]:
    """How many sealed values of ``scope`` use each data key version."""
    counts: dict[int, int] = {}
    with in_scope(scope):
        for spec in fields_of_scope(scope):
            column = getattr(spec.model, spec.attribute)
            version = _version_expr(spec)
            rows = db.session.execute(
                sa.select(version, sa.func.count())
                .where(column.is_not(None), _rows_of_scope(spec, scope))
                .group_by(version)
            )
            for raw, count in rows:
                number = int.from_bytes(bytes(raw), "big")
                counts[number] = counts.get(number, 0) + count
    return counts


def rotate_scope(
    scope: str,
    *,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
    settle_seconds: float | None = None,
) -> RotationReport:
    """Rotate ``scope``'s encryption key; resumes an unfinished rotation."""
    service = key_service()
    primary, old_versions = service.start_rotation(scope)
    db.session.commit()
    report = RotationReport(scope=scope, primary=primary)
    report.re_encrypted += _sweep(scope, primary, batch_size, on_batch)
    # Other processes may still hold the old primary for primary_ttl seconds.
    time.sleep(service.settle_seconds if settle_seconds is None else settle_seconds)
    for _ in range(MAX_SWEEPS):
        moved = _sweep(scope, primary, batch_size, on_batch)
        report.re_encrypted += moved
        if not moved:
            break
    counts = version_counts(scope)
    for version in old_versions:
        if counts.get(version, 0) == 0:
            service.retire(scope, version)
            report.retired.append(version)
        else:
            report.remaining[version] = counts[version]
    return report


def rows_to_rotate(scope: str, primary: int) -> int:
    """How many sealed values of ``scope`` are not on the primary version."""
    return sum(count for version, count in version_counts(scope).items() if version != primary)


def _sweep(scope: str, primary: int, batch_size: int, on_batch: Callable | None) -> int:
    moved = 0
    for spec in fields_of_scope(scope):
        while True:
            changed, seen = _reseal_batch(spec, scope, primary, batch_size)
            db.session.commit()
            moved += changed
            if on_batch is not None and seen:
                on_batch(seen)
            if seen < batch_size:
                break
    return moved


def _reseal_batch(spec: FieldSpec, scope: str, primary: int, batch_size: int) -> tuple[int, int]:
    service = key_service()
    column = getattr(spec.model, spec.attribute)
    primary_bytes = primary.to_bytes(VERSION_LENGTH, "big")
    changed = 0
    with in_scope(scope):
        rows = db.session.execute(
            sa.select(spec.model.id, column)
            .where(
                column.is_not(None),
                _rows_of_scope(spec, scope),
                _version_expr(spec) != primary_bytes,
            )
            .order_by(spec.model.id)
            .limit(batch_size)
        ).all()
        for row_id, sealed in rows:
            context = FieldContext(scope, spec.model.__table__.name, spec.column, str(row_id))
            resealed = service.encrypt(service.decrypt(bytes(sealed), context), context)
            result = db.session.execute(
                sa.update(spec.model)
                .where(spec.model.id == row_id, column == sealed)
                .values({spec.attribute: resealed})
                .execution_options(synchronize_session=False)
            )
            changed += result.rowcount
    return changed, len(rows)
