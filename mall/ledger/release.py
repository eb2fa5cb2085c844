"""The holding period: an order's earnings become available to pay out, and rolling reserves.

An order's money sits on ``shop_pending`` from its payment until its holding
period ends: ``ledger.holding_days`` (platform setting, default 7) after
``fulfilled_at`` (the last parcel shipped; an order with nothing to ship is
fulfilled when paid). A paid order that is cancelled or refunded in full without
being fulfilled counts from ``paid_at``, so whatever is left on it (a fee, a
manual refund) is released too and netted from the shop's next payout.

Release (key ``release:<order>``, ``sales.release_key``) moves the order's whole
``shop_pending`` balance to ``shop_available``, order by order (``order_id`` on
every line). With a rolling reserve (``PayoutAccount.reserve_bp``) a share of what
was released is held at once (``reserve:<order>``: Dr shop_available, Cr
shop_reserve) and given back ``reserve_days`` later (``reserve_release:<order>``).
The date it is given back is fixed when it is held (a ``ReserveHold`` row, with
the shop's terms of that day): the operator changing or clearing the shop's
reserve later changes only the holds made after.

The sweep (``release_due``) is a periodic job reading every shop's orders under
``all_tenants``: keyset batches of ids whose due time lies between the last
sweep's cutoff (less a day's margin, for transactions that committed late) and
now less the holding period, so its cost follows the orders that fell due, not
every order ever paid. Each posting is keyed: a re-run posts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.ledger.chain import HEAD
from mall.ledger.models import (
    Account,
    EntryKind,
    LedgerEntry,
    LedgerHead,
    LedgerLine,
    PayoutAccount,
)
from mall.ledger.models.payouts import ReserveHold
from mall.ledger.posting import Line, find_entry, post
from mall.ledger.sales import release_key
from mall.money import apply_rate
from mall.orders.models import Order, OrderStatus, PaymentStatus
from tenants.context import all_tenants
from tenants.settings import get_setting, put_setting

HOLDING_DAYS = "ledger.holding_days"
DEFAULT_HOLDING_DAYS = 7
MAX_HOLDING_DAYS = 365
SWEPT_UNTIL = "ledger.release_swept_until"  # the last complete sweep's cutoff (ISO 8601)
MARGIN = timedelta(days=1)
BATCH = 500
# Orders that will never ship: their holding period counts from the payment.
ENDED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.PAID_OUT_OF_STOCK)
UNPAID = (PaymentStatus.PENDING, PaymentStatus.VOIDED)


def reserve_key(order_id: UUID) -> str:
    return f"reserve:{order_id}"


def reserve_release_key(order_id: UUID) -> str:
    return f"reserve_release:{order_id}"


def holding_days() -> int:
    """Days between fulfilment (or payment, nothing to ship) and the money being available."""
    value = get_setting(HOLDING_DAYS, DEFAULT_HOLDING_DAYS)
    try:
        return max(0, min(int(value), MAX_HOLDING_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_HOLDING_DAYS


def due_at(order: Order) -> datetime | None:
    """When the order's holding period starts: fulfilled, or paid when it never ships."""
    if order.paid_at is None or order.payment_status in UNPAID:
        return None
    if order.fulfilled_at is not None:
        return order.fulfilled_at
    if not order.needs_shipping or order.status in ENDED:
        return order.paid_at
    return None


def is_due(order: Order, *, now: datetime | None = None) -> bool:
    """True when the order's holding period is over."""
    start = due_at(order)
    return start is not None and start <= (now or utcnow()) - timedelta(days=holding_days())


# ---------------------------------------------------------------- one order


def _lock_chain() -> None:
    # Read the balance while holding the chain's head: a refund posting meanwhile waits,
    # then sees the release and takes its money from ``shop_available``.
    db.session.execute(sa.select(LedgerHead.seq).where(LedgerHead.name == HEAD).with_for_update())


def _pending_sum(order_id: UUID, shop_id: UUID) -> int:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
            LedgerLine.shop_id == shop_id,
            LedgerLine.account == Account.SHOP_PENDING,
            LedgerLine.order_id == order_id,
        )
    )
    return int(total or 0)


def release_order(order_id: UUID, shop_id: UUID, *, number: str = "") -> LedgerEntry | None:
    """Move the order's pending balance to available (once), and hold its reserve if any.

    Returns the release entry, or None when nothing was pending (nothing is posted).
    """
    existing = find_entry(release_key(order_id))
    if existing is not None:
        return existing
    _lock_chain()
    pending = _pending_sum(order_id, shop_id)  # negative: what the mall owes the shop
    mine = {"shop_id": shop_id, "order_id": order_id, "kind": "release"}
    entry = post(
        EntryKind.RELEASE,
        [
            Line(Account.SHOP_PENDING, -pending, **mine),
            Line(Account.SHOP_AVAILABLE, pending, **mine),
        ],
        key=release_key(order_id),
        ref_type="order",
        ref_id=order_id,
        shop_id=shop_id,
        memo=f"{number or 'Order'}: holding period over",
    )
    if entry is not None and pending < 0:
        _hold_reserve(order_id, shop_id, released=-pending, number=number)
    return entry


def _hold_reserve(order_id: UUID, shop_id: UUID, *, released: int, number: str) -> None:
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.shop_id == shop_id))
    if account is None or not account.reserve_bp:
        return
    held = apply_rate(released, account.reserve_bp)
    if held <= 0:
        return
    mine = {"shop_id": shop_id, "order_id": order_id, "kind": "reserve_hold"}
    entry = post(
        EntryKind.RESERVE,
        [Line(Account.SHOP_AVAILABLE, held, **mine), Line(Account.SHOP_RESERVE, -held, **mine)],
        key=reserve_key(order_id),
        ref_type="order",
        ref_id=order_id,
        shop_id=shop_id,
        memo=f"{number or 'Order'}: rolling reserve held for {account.reserve_days} days",
    )
    if entry is not None:
        _record_hold(account, order_id, held=held, at=entry.posted_at)


def _record_hold(account: PayoutAccount, order_id: UUID, *, held: int, at: datetime) -> None:
    """Fix when the hold is given back, with the terms in force now (once per order)."""
    exists = db.session.scalar(
        sa.select(ReserveHold.id).where(
            ReserveHold.shop_id == account.shop_id, ReserveHold.order_id == order_id
        )
    )
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ReserveHold(
                    shop_id=account.shop_id,
                    order_id=order_id,
                    amount=held,
                    reserve_bp=account.reserve_bp,
                    reserve_days=account.reserve_days,
                    held_at=at,
                    release_at=at + timedelta(days=account.reserve_days),
                )
            )
            db.session.flush()
    except IntegrityError:
        pass  # a concurrent release recorded it first, with the same terms


def release_if_due(order: Order, *, now: datetime | None = None) -> LedgerEntry | None:
    """Release ``order`` now if its holding period is over (an order refunded late)."""
    if not is_due(order, now=now):
        return None
    return release_order(order.id, order.tenant_id, number=order.number)


# ---------------------------------------------------------------- the sweep


@dataclass
class Sweep:
    """What one run of the sweep did; ``after`` is where to continue (None: done)."""

    released: int = 0
    reserves_released: int = 0
    after: UUID | None = None


def _swept_until() -> datetime | None:
    raw = get_setting(SWEPT_UNTIL)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def _due_clause(since: datetime | None, until: datetime) -> sa.ColumnElement[bool]:
    fulfilled = [Order.fulfilled_at <= until]
    paid = [
        Order.fulfilled_at.is_(None),
        sa.or_(Order.needs_shipping.is_(False), Order.status.in_(ENDED)),
        Order.paid_at <= until,
    ]
    if since is not None:
        fulfilled.append(Order.fulfilled_at >= since)
        paid.append(Order.paid_at >= since)
    return sa.and_(
        Order.paid_at.is_not(None),
        Order.payment_status.not_in(UNPAID),
        sa.or_(sa.and_(*fulfilled), sa.and_(*paid)),
    )


def due_orders(
    since: datetime | None, until: datetime, *, after: UUID | None, limit: int
) -> list[tuple[UUID, UUID, str]]:
    """(order id, shop id, number) of orders due between ``since`` and ``until``, by id."""
    query = (
        sa.select(Order.id, Order.tenant_id, Order.number)
        .where(_due_clause(since, until))
        .order_by(Order.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Order.id > after)
    with all_tenants("ledger job: orders whose holding period ended, in every shop (ids only)"):
        return [(row.id, row.tenant_id, row.number) for row in db.session.execute(query)]


def _released(order_ids: list[UUID]) -> set[str]:
    keys = [release_key(order_id) for order_id in order_ids]
    return set(
        db.session.scalars(
            sa.select(LedgerEntry.idempotency_key).where(LedgerEntry.idempotency_key.in_(keys))
        )
    )


def release_due(
    *, now: datetime | None = None, after: UUID | None = None, limit: int = BATCH
) -> Sweep:
    """Release up to ``limit`` orders whose holding period is over, from ``after`` on.

    When fewer than ``limit`` were due the sweep is complete: its cutoff is remembered
    (the next sweep starts there, less a margin) and due reserves are given back.
    Otherwise ``Sweep.after`` says where the next call continues.
    """
    now = now or utcnow()
    until = now - timedelta(days=holding_days())
    swept = _swept_until()
    since = swept - MARGIN if swept is not None else None
    result = Sweep()
    rows = due_orders(since, until, after=after, limit=limit)
    done = _released([order_id for order_id, _, _ in rows])
    for order_id, shop_id, number in rows:
        if release_key(order_id) not in done and release_order(order_id, shop_id, number=number):
            result.released += 1
    if len(rows) == limit:
        result.after = rows[-1][0]
        return result
    if swept is None or until > swept:
        put_setting(SWEPT_UNTIL, until.isoformat())
    result.reserves_released = release_due_reserves(now=now)
    return result


# ---------------------------------------------------------------- reserves


def _due_holds(now: datetime, limit: int) -> list[ReserveHold]:
    return list(
        db.session.scalars(
            sa.select(ReserveHold)
            .where(ReserveHold.released_at.is_(None), ReserveHold.release_at <= now)
            .order_by(ReserveHold.release_at, ReserveHold.id)
            .limit(limit)
        )
    )


def _reserve_left(holds: list[ReserveHold]) -> dict[tuple[UUID, UUID], int]:
    """What is still held per (shop, order), in one query (what the mall owes: positive)."""
    total = sa.func.sum(LedgerLine.amount)
    rows = db.session.execute(
        sa.select(LedgerLine.shop_id, LedgerLine.order_id, total)
        .where(
            LedgerLine.account == Account.SHOP_RESERVE,
            LedgerLine.order_id.in_([hold.order_id for hold in holds]),
        )
        .group_by(LedgerLine.shop_id, LedgerLine.order_id)
    )
    return {(shop_id, order_id): -int(amount or 0) for shop_id, order_id, amount in rows}


def release_due_reserves(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Give back every reserve whose date (fixed when it was held) has come; how many.

    Each hold is given back once: the entry is keyed and the hold is marked by a
    conditional UPDATE, so a re-run (or a concurrent sweep) changes nothing.
    """
    now = now or utcnow()
    released = 0
    while holds := _due_holds(now, limit):
        left = _reserve_left(holds)
        for hold in holds:
            held = left.get((hold.shop_id, hold.order_id), 0)
            if held > 0:
                _release_reserve(hold.shop_id, hold.order_id, held)
            released += _mark_released(hold, now=utcnow())
        if len(holds) < limit:
            break
    return released


def _mark_released(hold: ReserveHold, *, now: datetime) -> bool:
    changed = db.session.execute(
        sa.update(ReserveHold)
        .where(ReserveHold.id == hold.id, ReserveHold.released_at.is_(None))
        .values(released_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(hold)
    return changed == 1


def _release_reserve(shop_id: UUID, order_id: UUID, held: int) -> LedgerEntry | None:
    mine = {"shop_id": shop_id, "order_id": order_id, "kind": "reserve_release"}
    return post(
        EntryKind.RESERVE_RELEASE,
        [Line(Account.SHOP_RESERVE, held, **mine), Line(Account.SHOP_AVAILABLE, -held, **mine)],
        key=reserve_release_key(order_id),
        ref_type="order",
        ref_id=order_id,
        shop_id=shop_id,
        memo="Rolling reserve given back",
    )


def release_all_due(*, now: datetime | None = None) -> int:
    """Run the sweep to its end in this transaction (a payout run pays what fell due);
    how many orders were released."""
    released = 0
    after = None
    while True:
        sweep = release_due(now=now, after=after)
        released += sweep.released
        if sweep.after is None:
            return released
        after = sweep.after
