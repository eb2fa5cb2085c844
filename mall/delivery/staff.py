"""The shop's staff actions on a download grant: give access again, extend it.

Every function works inside the shop's tenant context, flushes and never
commits. Each rendered form carries a key; a grant remembers its last
``KEYS_REMEMBERED`` keys, so a form posted twice (or resent after other
actions) acts once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import ProductKind
from mall.db import utcnow
from mall.delivery import keys
from mall.delivery.errors import DeliveryError
from mall.delivery.jobs import send_downloads_email
from mall.delivery.models import DownloadCounter, DownloadGrant, GrantStatus
from mall.delivery.services import (
    MAX_LIMIT,
    check_days,
    delivery_settings,
    get_line,
    grant_of_line,
    grant_order,
    policies_of,
    policy_or_default,
)
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.models import Order, OrderLine
from mall.orders.services import record_event

MAX_EXTEND_DAYS = 3_650  # one extension adds at most ten years
# The Extend form's range and this service's limit: one number, one sentence.
EXTEND_DAYS_MESSAGE = f"Add from 0 to {MAX_EXTEND_DAYS:,} days at a time."
LATEST_EXPIRY = datetime(9000, 1, 1, tzinfo=UTC)  # far from datetime's limit (year 9999)
FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
KEYS_REMEMBERED = 20  # the grant's last staff forms: each acts once
ACTION_KEYS_LENGTH = KEYS_REMEMBERED * 33 - 1  # 32 hex characters and a space each


def regrant(
    line: OrderLine,
    *,
    actor_id: UUID | None,
    key: str,
    days: int | None = None,
    refunded_ok: bool = False,
) -> tuple[DownloadGrant, bool]:
    """Give the line's buyer access again: active, counters back to zero, a new expiry.

    ``days`` from now (None: the product's or shop's default; 0: never ends).
    Makes the grant when the line has none (an order paid before delivery
    existed). Keys revoked with the grant stay revoked: the line takes new ones.
    The same ``key`` (the rendered form's) acts once: (the grant, changed now?).
    A line whose units were all refunded needs ``refunded_ok`` (the staff confirmed).
    """
    if line.kind != ProductKind.DIGITAL.value:
        raise DeliveryError(f"“{line.title}” is not a digital item: there is nothing to grant.")
    _check_key(key)
    if line.quantity_refunded >= line.quantity and not refunded_ok:
        raise DeliveryError(
            f"“{line.title}”: this line was refunded: give access anyway? "
            "Tick the box to confirm and send again."
        )
    order = db.session.get(Order, (line.tenant_id, line.order_id))
    if order is None or order.paid_at is None:
        raise DeliveryError("Only a paid order's items can be granted.")
    if days is not None:
        check_days(days)
    grant = grant_of_line(line)
    if grant is None:
        grant_order(order)
        grant = grant_of_line(line)
        if grant is None:
            raise DeliveryError(f"“{line.title}” could not be granted: reload the page.")
    if not _claim(grant, key):
        return grant, False
    if days is None:
        policy = policies_of([line.product_id]).get(line.product_id)
        days = policy_or_default(
            policy.expiry_days if policy else None, delivery_settings().expiry_days
        )
    was_revoked = grant.status is GrantStatus.REVOKED
    grant.status = GrantStatus.ACTIVE
    grant.revoked_at = None
    grant.revoked_reason = ""
    grant.expires_at = utcnow() + timedelta(days=days) if days else None
    db.session.execute(
        sa.update(DownloadCounter)
        .where(DownloadCounter.tenant_id == grant.tenant_id, DownloadCounter.grant_id == grant.id)
        .values(used=0)
        .execution_options(synchronize_session=False)
    )
    if was_revoked:
        # A line refunded in full and given anyway (``refunded_ok``) owes every unit's key.
        left = line.quantity - line.quantity_refunded
        keys.reopen_need(grant, units=left if left > 0 else line.quantity)
    db.session.flush()
    if grant.waiting_for_keys:
        keys.issue_keys(grant)
    until = f"until {grant.expires_at:%Y-%m-%d}" if grant.expires_at else "with no end date"
    _note(order, line, f"Download access given again {until}, download counts reset.", actor_id)
    enqueue_after_commit(send_downloads_email, str(order.tenant_id), str(order.id))
    return grant, True


def extend_grant(
    grant: DownloadGrant, *, days: int, downloads: int, actor_id: UUID | None, key: str
) -> bool:
    """Add ``days`` to the expiry (from now when already past) and ``downloads`` per file.

    An unlimited grant stays unlimited; a grant that never expires stays so.
    The same ``key`` acts once (False the second time). Raises DeliveryError when
    nothing would change or the grant is revoked.
    """
    if grant.status is not GrantStatus.ACTIVE:
        raise DeliveryError("This access was withdrawn: give it again instead of extending it.")
    if not 0 <= days <= MAX_EXTEND_DAYS:
        raise DeliveryError(EXTEND_DAYS_MESSAGE)
    if not 0 <= downloads <= MAX_LIMIT:
        raise DeliveryError(f"Add from 0 to {MAX_LIMIT:,} downloads per file at a time.")
    if days == 0 and downloads == 0:
        raise DeliveryError("Add at least one day or one download.")
    _check_key(key)
    expires_at = None
    if days and grant.expires_at is not None:
        expires_at = max(grant.expires_at, utcnow()) + timedelta(days=days)
        if expires_at > LATEST_EXPIRY:
            raise DeliveryError(
                "That would end access after the year 9000: "
                "give access with no end date instead (0 days)."
            )
    if not _claim(grant, key):
        return False
    if expires_at is not None:
        grant.expires_at = expires_at
    if downloads and grant.download_limit:
        grant.download_limit = min(grant.download_limit + downloads, MAX_LIMIT)
    db.session.flush()
    order = db.session.get(Order, (grant.tenant_id, grant.order_id))
    line = get_line(grant.order_line_id)
    if order is not None and line is not None:
        parts = [f"{days} day(s)"] if days else []
        parts += [f"{downloads} download(s) per file"] if downloads else []
        _note(order, line, f"Download access extended by {' and '.join(parts)}.", actor_id)
    return True


def _check_key(key: str) -> None:
    if not FORM_KEY.match(key or ""):
        raise DeliveryError("The form expired: reload the page and try again.")


def _claim(grant: DownloadGrant, key: str) -> bool:
    """Take the form's key for this grant; False when that form already acted.

    The grant remembers its last ``KEYS_REMEMBERED`` keys, newest first, in one
    conditional UPDATE (the row lock makes two requests with one key act once).
    """
    changed = db.session.execute(
        sa.update(DownloadGrant)
        .where(
            DownloadGrant.tenant_id == grant.tenant_id,
            DownloadGrant.id == grant.id,
            DownloadGrant.action_key.not_like(f"%{key}%"),
        )
        .values(
            action_key=sa.func.substr(
                sa.literal(f"{key} ", sa.String) + DownloadGrant.action_key,
                1,
                ACTION_KEYS_LENGTH,
            ),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(grant)
    return changed == 1


def _note(order: Order, line: OrderLine, message: str, actor_id: UUID | None) -> None:
    record_event(order, "downloads", f"{line.title}: {message}", actor_id=actor_id)
