"""Licence keys: a pool per variant, imported by CSV, each sale taking exactly one key per unit.

Keys are sealed under the shop's key, with a blind index (HMAC under the
shop's index key) that refuses the same key twice in a pool. A key is taken
by a conditional UPDATE (``status = 'available'``) of a row chosen with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite writes one at a
time), so concurrent sales never get the same key and never wait on each
other. A line that finds the pool empty waits ("waiting for a key"); an import
fills the waiting lines oldest first. The shop is emailed once each time the
pool falls to its low mark; a refill above the mark re-arms the warning.

Every function works inside the shop's tenant context, flushes and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.db import utcnow
from mall.delivery.jobs import send_low_pool_email
from mall.delivery.models import (
    DeliverySettings,
    DownloadGrant,
    GrantStatus,
    KeyPool,
    KeyStatus,
    LicenceKey,
)
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.fulfilment import fulfil_released
from mall.orders.models import Order
from tenants.guard import scoped_get


@dataclass(frozen=True)
class PoolCounts:
    """How many keys of a pool are available, issued and revoked, and lines waiting."""

    available: int = 0
    issued: int = 0
    revoked: int = 0
    waiting: int = 0


def get_pool(variant: Variant) -> KeyPool | None:
    """The variant's key pool, if it has one."""
    return db.session.scalar(sa.select(KeyPool).where(KeyPool.variant_id == variant.id))


def pools_of(variant_ids: Iterable[UUID]) -> dict[UUID, KeyPool]:
    """The key pools of these variants, by variant id (one query)."""
    wanted = sorted(set(variant_ids))
    if not wanted:
        return {}
    rows = db.session.scalars(sa.select(KeyPool).where(KeyPool.variant_id.in_(wanted)))
    return {pool.variant_id: pool for pool in rows}


def counts_of(pool_ids: Iterable[UUID], variant_ids: Iterable[UUID] = ()) -> dict[UUID, PoolCounts]:
    """Counts per pool id (two grouped queries, whatever the number of pools)."""
    pools = sorted(set(pool_ids))
    if not pools:
        return {}
    found: dict[UUID, dict[str, int]] = {pool_id: {} for pool_id in pools}
    rows = db.session.execute(
        sa.select(LicenceKey.pool_id, LicenceKey.status, sa.func.count())
        .where(LicenceKey.pool_id.in_(pools))
        .group_by(LicenceKey.pool_id, LicenceKey.status)
    ).all()
    for pool_id, status, count in rows:
        found[pool_id][KeyStatus(status).value] = count
    waiting: dict[UUID, int] = {}
    variants = sorted(set(variant_ids))
    if variants:
        by_variant = dict(
            db.session.execute(
                sa.select(
                    DownloadGrant.variant_id,
                    sa.func.sum(DownloadGrant.keys_needed - DownloadGrant.keys_issued),
                )
                .where(
                    DownloadGrant.variant_id.in_(variants),
                    DownloadGrant.status == GrantStatus.ACTIVE,
                    DownloadGrant.keys_issued < DownloadGrant.keys_needed,
                )
                .group_by(DownloadGrant.variant_id)
            ).all()
        )
        pool_of = dict(
            db.session.execute(
                sa.select(KeyPool.id, KeyPool.variant_id).where(KeyPool.id.in_(pools))
            ).all()
        )
        waiting = {pool_id: int(by_variant.get(pool_of.get(pool_id), 0) or 0) for pool_id in pools}
    return {
        pool_id: PoolCounts(
            available=counts.get("available", 0),
            issued=counts.get("issued", 0),
            revoked=counts.get("revoked", 0),
            waiting=waiting.get(pool_id, 0),
        )
        for pool_id, counts in found.items()
    }


def keys_of(grants: Iterable[DownloadGrant]) -> dict[UUID, list[LicenceKey]]:
    """The keys issued (or revoked) to these grants, by grant id (one query)."""
    ids = sorted({grant.id for grant in grants})
    if not ids:
        return {}
    found: dict[UUID, list[LicenceKey]] = {grant_id: [] for grant_id in ids}
    rows = db.session.scalars(
        sa.select(LicenceKey)
        .where(LicenceKey.grant_id.in_(ids))
        .order_by(LicenceKey.issued_at, LicenceKey.id)
    )
    for key in rows:
        found[key.grant_id].append(key)
    return found


# ---------------------------------------------------------------- taking keys


def issue_keys(grant: DownloadGrant, *, pool: KeyPool | None = None) -> int:
    """Give ``grant`` the keys it still waits for, as far as the pool has them; how many.

    Each key is taken by a conditional UPDATE, so no key is ever issued twice.
    """
    want = grant.waiting_for_keys
    if want <= 0:
        return 0
    pool = pool or db.session.scalar(
        sa.select(KeyPool).where(KeyPool.variant_id == grant.variant_id)
    )
    if pool is None:
        return 0
    taken = 0
    now = utcnow()
    while taken < want:
        candidates = list(
            db.session.scalars(
                sa.select(LicenceKey.id)
                .where(LicenceKey.pool_id == pool.id, LicenceKey.status == KeyStatus.AVAILABLE)
                .order_by(LicenceKey.created_at, LicenceKey.id)
                .limit(want - taken)
                .with_for_update(skip_locked=True)
            )
        )
        if not candidates:
            break
        got = 0
        for key_id in candidates:
            got += db.session.execute(
                sa.update(LicenceKey)
                .where(
                    LicenceKey.tenant_id == grant.tenant_id,
                    LicenceKey.id == key_id,
                    LicenceKey.status == KeyStatus.AVAILABLE,
                )
                .values(status=KeyStatus.ISSUED, grant_id=grant.id, issued_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        taken += got
        if got == 0:
            break
    if taken:
        db.session.execute(
            sa.update(DownloadGrant)
            .where(DownloadGrant.tenant_id == grant.tenant_id, DownloadGrant.id == grant.id)
            .values(keys_issued=DownloadGrant.keys_issued + taken, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(grant)
    warn_if_low(pool)
    return taken


def settle_order(grant: DownloadGrant, *, message: str) -> bool:
    """The order of ``grant``, held back while keys were owed, is fulfilled (once) when no
    line waits any more and nothing else is left to do; ``message`` on its timeline."""
    if grant.waiting_for_keys:
        return False
    order = scoped_get(Order, grant.order_id)
    return order is not None and fulfil_released(order, message=message)


def revoke_keys(grant: DownloadGrant) -> int:
    """Mark every key issued to ``grant`` revoked (never issued again); how many."""
    return _revoke(grant, None)


def trim_keys(grant: DownloadGrant, *, keep: int) -> int:
    """Units were refunded: the grant needs ``keep`` keys; the newest extra ones are revoked."""
    keep = max(keep, 0)
    extra = grant.keys_issued - keep
    revoked = 0
    if extra > 0:
        revoked = _revoke(grant, extra)
    db.session.execute(
        sa.update(DownloadGrant)
        .where(DownloadGrant.tenant_id == grant.tenant_id, DownloadGrant.id == grant.id)
        .values(
            keys_needed=sa.case(
                (DownloadGrant.keys_needed > keep, keep), else_=DownloadGrant.keys_needed
            ),
            keys_issued=DownloadGrant.keys_issued - revoked,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(grant)
    return revoked


def reopen_need(grant: DownloadGrant, *, units: int) -> None:
    """A revoked grant is given again: it needs keys for ``units`` afresh (its old ones stay
    revoked), when its variant has a pool."""
    issued_live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LicenceKey)
        .where(LicenceKey.grant_id == grant.id, LicenceKey.status == KeyStatus.ISSUED)
    )
    has_pool = db.session.scalar(
        sa.select(KeyPool.id).where(KeyPool.variant_id == grant.variant_id)
    )
    grant.keys_issued = issued_live or 0
    grant.keys_needed = max(units, grant.keys_issued) if has_pool else grant.keys_issued
    db.session.flush()


def _revoke(grant: DownloadGrant, limit: int | None) -> int:
    query = (
        sa.select(LicenceKey.id)
        .where(LicenceKey.grant_id == grant.id, LicenceKey.status == KeyStatus.ISSUED)
        .order_by(LicenceKey.issued_at.desc(), LicenceKey.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    if not ids:
        return 0
    return db.session.execute(
        sa.update(LicenceKey)
        .where(
            LicenceKey.tenant_id == grant.tenant_id,
            LicenceKey.id.in_(ids),
            LicenceKey.status == KeyStatus.ISSUED,
        )
        .values(status=KeyStatus.REVOKED, revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# ---------------------------------------------------------------- the low-pool warning


def low_mark(pool: KeyPool) -> int:
    """Keys left at or below which the pool counts as low."""
    if pool.low_threshold is not None:
        return pool.low_threshold
    settings = db.session.scalar(sa.select(DeliverySettings))
    return settings.low_pool_threshold if settings is not None else 5


def available(pool: KeyPool) -> int:
    """Keys of the pool not issued yet."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LicenceKey)
            .where(LicenceKey.pool_id == pool.id, LicenceKey.status == KeyStatus.AVAILABLE)
        )
        or 0
    )


def warn_if_low(pool: KeyPool) -> bool:
    """Email the shop once when the pool reaches its low mark (until a refill re-arms it)."""
    # Buyers take turns on the pool's row before counting: the count then sees every key
    # the buyers before took (committed), so the one who crosses the mark knows it.
    db.session.execute(
        sa.select(KeyPool.id)
        .where(KeyPool.tenant_id == pool.tenant_id, KeyPool.id == pool.id)
        .with_for_update()
    )
    if available(pool) > low_mark(pool):
        return False
    changed = db.session.execute(
        sa.update(KeyPool)
        .where(
            KeyPool.tenant_id == pool.tenant_id,
            KeyPool.id == pool.id,
            KeyPool.low_warned_at.is_(None),
        )
        .values(low_warned_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed == 1:
        enqueue_after_commit(send_low_pool_email, str(pool.tenant_id), str(pool.id))
    return changed == 1


def rearm(pool: KeyPool) -> None:
    """Clear the warning mark once the pool is above its low mark again (a refill)."""
    if pool.low_warned_at is not None and available(pool) > low_mark(pool):
        pool.low_warned_at = None
        db.session.flush()
