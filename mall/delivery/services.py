"""Download grants: made once per digital order line when the order is paid, revoked by a
refund or a chargeback (the staff's re-grant and extend: ``mall.delivery.staff``).

Every function works inside the shop's tenant context (the caller enters it),
flushes and never commits. A grant copies its expiry and download limit from
the product's policy, else the shop's defaults, at the moment of the sale.
State changes are conditional updates, so a replayed signal or a double click
changes a grant once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import DigitalFile, Product, ProductKind
from mall.db import utcnow
from mall.delivery import keys
from mall.delivery.errors import DeliveryError
from mall.delivery.jobs import send_downloads_email
from mall.delivery.models import (
    DeliveryPolicy,
    DeliverySettings,
    DownloadCounter,
    DownloadGrant,
    GrantStatus,
)
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.models import Order, OrderLine
from mall.orders.services import record_event
from tenants.guard import scoped_get

MAX_DAYS = 36_500  # a hundred years: "never" is 0
MAX_LIMIT = 10_000

__all__ = ["DeliveryError"]


def get_grant(grant_id: UUID | str | None) -> DownloadGrant | None:
    """The grant of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(DownloadGrant, grant_id)


def get_line(line_id: UUID | str | None) -> OrderLine | None:
    """The order line of the shop in context with this id, or None."""
    return scoped_get(OrderLine, line_id)


def grant_of_line(line: OrderLine) -> DownloadGrant | None:
    """The grant made for ``line``, if any."""
    return db.session.scalar(sa.select(DownloadGrant).where(DownloadGrant.order_line_id == line.id))


def grants_of_order(order: Order) -> list[DownloadGrant]:
    """The order's grants (one per digital line), freshly read."""
    return list(
        db.session.scalars(
            sa.select(DownloadGrant)
            .where(DownloadGrant.order_id == order.id)
            .order_by(DownloadGrant.created_at, DownloadGrant.id)
            .execution_options(populate_existing=True)
        )
    )


# ---------------------------------------------------------------- settings and policies


def delivery_settings() -> DeliverySettings:
    """The shop's delivery defaults (a fresh, unsaved row with the defaults when never saved)."""
    found = db.session.scalar(sa.select(DeliverySettings))
    return (
        found
        if found is not None
        else DeliverySettings(expiry_days=30, download_limit=5, low_pool_threshold=5)
    )


def update_settings(
    settings: DeliverySettings, *, expiry_days: int, download_limit: int, low_pool_threshold: int
) -> DeliverySettings:
    """Save the shop's defaults: days a grant lasts (0: never), downloads per file (0: no
    limit) and the number of keys left that counts as a low pool. Raises DeliveryError."""
    check_days(expiry_days)
    _check_limit(download_limit)
    if not 0 <= low_pool_threshold <= MAX_LIMIT:
        raise DeliveryError(f"The low-pool warning is a number of keys from 0 to {MAX_LIMIT}.")
    settings.expiry_days = expiry_days
    settings.download_limit = download_limit
    settings.low_pool_threshold = low_pool_threshold
    if settings.id is None or settings not in db.session:
        db.session.add(settings)
    db.session.flush()
    return settings


def policy_of(product: Product) -> DeliveryPolicy | None:
    """The product's own delivery policy, if it has one."""
    return db.session.scalar(
        sa.select(DeliveryPolicy).where(DeliveryPolicy.product_id == product.id)
    )


def set_policy(
    product: Product, *, expiry_days: int | None, download_limit: int | None
) -> DeliveryPolicy | None:
    """Give ``product`` its own expiry and/or download limit (None: the shop's default).

    Both None removes the policy. Only later sales use it: grants keep what they got.
    """
    if product.kind is not ProductKind.DIGITAL:
        raise DeliveryError(f"“{product.title}” is not a digital product.")
    if expiry_days is not None:
        check_days(expiry_days)
    if download_limit is not None:
        _check_limit(download_limit)
    policy = policy_of(product)
    if expiry_days is None and download_limit is None:
        if policy is not None:
            db.session.delete(policy)
            db.session.flush()
        return None
    if policy is None:
        policy = DeliveryPolicy(product_id=product.id)
        db.session.add(policy)
    policy.expiry_days = expiry_days
    policy.download_limit = download_limit
    db.session.flush()
    return policy


def check_days(days: int) -> None:
    """Refuse a number of days of access outside 0 (never ends) … ``MAX_DAYS``."""
    if not 0 <= days <= MAX_DAYS:
        raise DeliveryError(f"Access lasts a number of days from 1 to {MAX_DAYS} (0: never ends).")


def _check_limit(limit: int) -> None:
    if not 0 <= limit <= MAX_LIMIT:
        raise DeliveryError(f"The download limit is from 1 to {MAX_LIMIT} per file (0: no limit).")


# ---------------------------------------------------------------- granting


def grant_order(order: Order) -> list[DownloadGrant]:
    """Give each digital line of the paid ``order`` its grant, once per line; the new ones.

    Lines whose variant has a licence key pool take one key per unit (or wait
    for keys when the pool is empty). The customer is emailed their files and
    keys after the commit (a job with ids only) when something new was granted.
    """
    lines = [line for line in order.lines if line.kind == ProductKind.DIGITAL.value]
    if not lines:
        return []
    have = {
        grant.order_line_id
        for grant in db.session.scalars(
            sa.select(DownloadGrant).where(DownloadGrant.order_id == order.id)
        )
    }
    fresh = [line for line in lines if line.id not in have]
    if not fresh:
        return []
    settings = delivery_settings()
    policies = policies_of({line.product_id for line in fresh})
    pools = keys.pools_of({line.variant_id for line in fresh})
    now = utcnow()
    made = []
    for line in fresh:
        policy = policies.get(line.product_id)
        days = policy_or_default(policy.expiry_days if policy else None, settings.expiry_days)
        grant = DownloadGrant(
            tenant_id=order.tenant_id,
            order_id=order.id,
            order_line_id=line.id,
            product_id=line.product_id,
            variant_id=line.variant_id,
            user_id=order.user_id,
            expires_at=now + timedelta(days=days) if days else None,
            download_limit=policy_or_default(
                policy.download_limit if policy else None, settings.download_limit
            ),
            keys_needed=line.quantity if line.variant_id in pools else 0,
        )
        db.session.add(grant)
        made.append(grant)
    db.session.flush()
    _add_counters(made)
    for grant in made:
        if grant.keys_needed:
            keys.issue_keys(grant, pool=pools[grant.variant_id])
    waiting = sum(grant.waiting_for_keys for grant in made)
    message = f"Download access granted for {len(made)} digital item(s)."
    if waiting:
        message += f" {waiting} licence key(s) wait for the shop to add keys."
    record_event(order, "granted", message)
    enqueue_after_commit(send_downloads_email, str(order.tenant_id), str(order.id))
    return made


def policy_or_default(own: int | None, default: int) -> int:
    """The product's own setting, or the shop's default where the product has none."""
    return default if own is None else own


def policies_of(product_ids: Iterable[UUID]) -> dict[UUID, DeliveryPolicy]:
    """The delivery policies of these products (one query), by product id."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    rows = db.session.scalars(
        sa.select(DeliveryPolicy).where(DeliveryPolicy.product_id.in_(wanted))
    )
    return {row.product_id: row for row in rows}


def _add_counters(grants: list[DownloadGrant]) -> None:
    variant_ids = sorted({grant.variant_id for grant in grants})
    files = db.session.execute(
        sa.select(DigitalFile.id, DigitalFile.variant_id).where(
            DigitalFile.variant_id.in_(variant_ids)
        )
    ).all()
    for grant in grants:
        for file_id, variant_id in files:
            if variant_id == grant.variant_id:
                db.session.add(DownloadCounter(grant_id=grant.id, file_id=file_id, used=0))
    db.session.flush()


# ---------------------------------------------------------------- revoking


def revoke_grant(grant: DownloadGrant, *, reason: str) -> bool:
    """Withdraw access (once): no more downloads, its issued keys marked revoked.

    False when it was already revoked. Keys stay revoked (never issued again).
    """
    changed = db.session.execute(
        sa.update(DownloadGrant)
        .where(
            DownloadGrant.tenant_id == grant.tenant_id,
            DownloadGrant.id == grant.id,
            DownloadGrant.status == GrantStatus.ACTIVE,
        )
        .values(
            status=GrantStatus.REVOKED,
            revoked_at=utcnow(),
            revoked_reason=reason[:200],
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(grant)
    if changed != 1:
        return False
    keys.revoke_keys(grant)
    return True


def revoke_order(order: Order, *, reason: str) -> int:
    """Revoke every grant of ``order`` (a full refund, a chargeback); how many changed."""
    return sum(revoke_grant(grant, reason=reason) for grant in grants_of_order(order))


def follow_refund(order: Order, *, line_ids: Iterable[UUID], full: bool) -> int:
    """Bring the grants of refunded lines in line with what is left of them; how many revoked.

    A full refund revokes every grant. A line whose units were all refunded is
    revoked; one with units left keeps one key per unit left (the others are
    revoked) and its downloads. An amount-only refund (no units) changes
    nothing. Reading the lines' refunded units makes a replay change nothing.
    """
    if full:
        return revoke_order(order, reason="The order was refunded.")
    wanted = set(line_ids)
    revoked = 0
    released = None
    for grant in grants_of_order(order):
        if grant.order_line_id not in wanted or grant.status is not GrantStatus.ACTIVE:
            continue
        line = get_line(grant.order_line_id)
        if line is None:
            continue
        was_waiting = grant.waiting_for_keys
        left = line.quantity - line.quantity_refunded
        if left <= 0:
            revoked += revoke_grant(grant, reason="The item was refunded.")
        elif grant.keys_needed > left:
            keys.trim_keys(grant, keep=left)
        if was_waiting and not grant.waiting_for_keys:
            released = grant
    if released is not None:  # the units still owed a key were refunded: nothing holds the order
        keys.settle_order(released, message="Fulfilled: the items waiting for a key were refunded.")
    return revoked
