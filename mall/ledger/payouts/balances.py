"""What a shop can be paid: its available balance, order by order, and what holds some back.

Every line on ``shop_available`` names the order it came from (release, refund
after release, reserve, payout, reversal), so a shop's available balance splits
into parts per order: positive where the mall owes the shop for that order, negative
where the shop owes (a refund after its payout that Stripe could not take back).
A payout clears the parts it pays, a failed or returned payout restores them, so a
part is always "released and not yet paid out", and a debt is netted exactly.

Amounts here are what the mall owes the shop: the negated sums of the lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.models import Account, LedgerLine, UnattributedRefund
from mall.orders.models import Order
from tenants.settings import get_setting

MINIMUM = "payouts.minimum"
DEFAULT_MINIMUM = 1000  # minor units
CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Part:
    """What the mall owes a shop on one order (None: lines that name no order)."""

    order_id: UUID | None
    amount: int  # negative: the shop owes it
    checkout_id: UUID | None = None
    first_seq: int = 0  # oldest first: the order in which parts are paid and debts netted


def payout_minimum() -> int:
    """The smallest balance paid out (platform setting ``payouts.minimum``, minor units)."""
    value = get_setting(MINIMUM, DEFAULT_MINIMUM)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_MINIMUM


def owed(shop_id: UUID, accounts: Iterable[Account]) -> dict[Account, int]:
    """What the mall owes the shop on each account, in one query."""
    wanted = list(accounts)
    rows = db.session.execute(
        sa.select(LedgerLine.account, sa.func.sum(LedgerLine.amount))
        .where(LedgerLine.shop_id == shop_id, LedgerLine.account.in_(wanted))
        .group_by(LedgerLine.account)
    )
    found = {Account(account): -int(total) for account, total in rows}
    return {account: found.get(account, 0) for account in wanted}


def owed_by_shop(
    shop_ids: list[UUID], accounts: Iterable[Account]
) -> dict[UUID, dict[Account, int]]:
    """``owed`` for many shops in one query (a page of the operator's list)."""
    wanted = list(accounts)
    result = {shop_id: dict.fromkeys(wanted, 0) for shop_id in shop_ids}
    if not shop_ids:
        return result
    rows = db.session.execute(
        sa.select(LedgerLine.shop_id, LedgerLine.account, sa.func.sum(LedgerLine.amount))
        .where(LedgerLine.shop_id.in_(shop_ids), LedgerLine.account.in_(wanted))
        .group_by(LedgerLine.shop_id, LedgerLine.account)
    )
    for shop_id, account, total in rows:
        result[shop_id][Account(account)] = -int(total)
    return result


def shops_owed_at_least(minimum: int) -> list[UUID]:
    """Shops whose available balance is at least ``minimum`` (and more than nothing)."""
    owed_total = -sa.func.sum(LedgerLine.amount)
    return list(
        db.session.scalars(
            sa.select(LedgerLine.shop_id)
            .where(LedgerLine.account == Account.SHOP_AVAILABLE)
            .group_by(LedgerLine.shop_id)
            .having(owed_total >= max(minimum, 1))
            .order_by(LedgerLine.shop_id)
        )
    )


def available_version(shop_id: UUID) -> int:
    """The last entry that touched the shop's available balance (0: none): the state paid."""
    seq = db.session.scalar(
        sa.select(sa.func.max(LedgerLine.entry_seq)).where(
            LedgerLine.shop_id == shop_id, LedgerLine.account == Account.SHOP_AVAILABLE
        )
    )
    return int(seq or 0)


def available_parts(shop_id: UUID) -> list[Part]:
    """The shop's available balance per order (parts that are not zero), oldest first.

    Call in the shop's context: each part carries its order's checkout.
    """
    total = sa.func.sum(LedgerLine.amount)
    rows = db.session.execute(
        sa.select(LedgerLine.order_id, total, sa.func.min(LedgerLine.entry_seq))
        .where(LedgerLine.shop_id == shop_id, LedgerLine.account == Account.SHOP_AVAILABLE)
        .group_by(LedgerLine.order_id)
        .having(total != 0)
        .order_by(sa.func.min(LedgerLine.entry_seq))
    ).all()
    checkouts = checkouts_of([order_id for order_id, _, _ in rows if order_id is not None])
    return [
        Part(order_id, -int(amount), checkouts.get(order_id), int(seq))
        for order_id, amount, seq in rows
    ]


def checkouts_of(order_ids: list[UUID]) -> dict[UUID, UUID]:
    """Each order's checkout (orders of the shop in context; a chunked IN list)."""
    found: dict[UUID, UUID] = {}
    for start in range(0, len(order_ids), CHUNK):
        chunk = order_ids[start : start + CHUNK]
        rows = db.session.execute(sa.select(Order.id, Order.checkout_id).where(Order.id.in_(chunk)))
        found.update((order_id, checkout_id) for order_id, checkout_id in rows)
    return found


def held_checkouts(checkout_ids: Iterable[UUID | None]) -> set[UUID]:
    """Checkouts with a refund made outside Mall that the operator has not assigned yet."""
    wanted = sorted({checkout_id for checkout_id in checkout_ids if checkout_id is not None})
    held: set[UUID] = set()
    for start in range(0, len(wanted), CHUNK):
        held.update(
            db.session.scalars(
                sa.select(UnattributedRefund.checkout_id).where(
                    UnattributedRefund.checkout_id.in_(wanted[start : start + CHUNK]),
                    UnattributedRefund.assigned_at.is_(None),
                )
            )
        )
    return held


def payable_parts(parts: list[Part]) -> tuple[list[Part], list[Part]]:
    """(what can be paid now, what waits): an order whose checkout has an unassigned
    refund waits; debts are always netted (a shop's debt is never left behind)."""
    held = held_checkouts(part.checkout_id for part in parts if part.amount > 0)
    paid = [part for part in parts if part.amount < 0 or part.checkout_id not in held]
    waiting = [part for part in parts if part.amount > 0 and part.checkout_id in held]
    return paid, waiting
