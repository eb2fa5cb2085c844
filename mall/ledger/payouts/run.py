"""A payout run: every shop whose available balance reached the minimum is paid, once.

The console's "Run payouts" and the daily job call ``run_payouts``. It first
releases every order whose holding period is over (the holding-period sweep,
``release.release_all_due``, the same service as the hourly job: keyed, so
nothing is released twice), so what fell due is paid at once. Then, for each
shop owed at least ``payouts.minimum``, not held by the operator, not blocked at
Stripe:

- its available parts are read order by order (``balances.available_parts``);
  orders of a checkout with an unassigned outside refund wait; debts are netted;
- a shop with a Stripe Connect account gets one payout per released order, each
  one Stripe transfer (sent by a job after the commit: ``transfers.send_payout``)
  of that order's part less the debts netted into it, oldest order first;
- a shop without one gets one manual payout in the open batch, which the
  operator exports, pays from the bank and marks paid (``manual``).

Creating a payout moves its parts from ``shop_available`` to
``payouts_in_transit`` in the same transaction. Its idempotency key is made from
the shop's available balance as it was read (the last entry that touched it), so
two runs racing over the same balance make one payout: the second one's insert
meets the unique key and is dropped. A second run after the first committed
finds nothing left to pay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.ledger import jobs
from mall.ledger.connect import Route, account_of, payout_state
from mall.ledger.models import Payout, PayoutItem, PayoutMethod, PayoutStatus
from mall.ledger.payouts import entries
from mall.ledger.payouts.balances import (
    Part,
    available_parts,
    available_version,
    payable_parts,
    payout_minimum,
    shops_owed_at_least,
)
from mall.ledger.payouts.manual import add_to_open_batch
from mall.ledger.release import release_all_due
from mall.money import currency
from tenants.audit import record_audit
from tenants.context import tenant_context


@dataclass
class RunResult:
    """What a run did: payouts made, and shops skipped (by why)."""

    stripe: int = 0
    manual: int = 0
    amount: int = 0
    released: int = 0  # orders released first (their holding period was over)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    @property
    def payouts(self) -> int:
        return self.stripe + self.manual


@dataclass
class Planned:
    """One payout to make: the parts it clears (a credit, and debts netted into it)."""

    parts: list[Part]

    @property
    def amount(self) -> int:
        return sum(part.amount for part in self.parts)


def plan_transfers(parts: list[Part]) -> list[Planned]:
    """One payout per part owed, oldest first; each debt netted from the first ones.

    The caller checked that the parts add up to more than nothing, so every debt
    finds credits to net against.
    """
    debts = [[part, -part.amount] for part in parts if part.amount < 0]
    planned = []
    for credit in (part for part in parts if part.amount > 0):
        plan = Planned([credit])
        left = credit.amount
        while debts and left > 0:
            debt, owed = debts[0]
            taken = min(left, owed)
            plan.parts.append(Part(debt.order_id, -taken, debt.checkout_id, debt.first_seq))
            left -= taken
            debts[0][1] -= taken
            if debts[0][1] == 0:
                debts.pop(0)
        planned.append(plan)
    return planned


def run_payouts(*, actor_id: UUID | None = None, ip_address: str | None = None) -> RunResult:
    """Release what fell due, then pay every shop owed at least the minimum that can be
    paid now (see the module)."""
    result = RunResult(released=release_all_due())
    minimum = payout_minimum()
    for shop_id in shops_owed_at_least(minimum):
        pay_shop(shop_id, minimum=minimum, result=result, actor_id=actor_id)
    if actor_id is not None or result.payouts:
        record_audit(
            "payouts.run",
            actor_id=actor_id,
            ip_address=ip_address,
            target_type="payouts",
            target_id="platform",
            details={
                "stripe": result.stripe,
                "manual": result.manual,
                "amount": result.amount,
                "released": result.released,
                "skipped": result.skipped,
            },
        )
    return result


def _stripe_ready() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def pay_shop(shop_id: UUID, *, minimum: int, result: RunResult, actor_id: UUID | None) -> None:
    """Pay one shop what it can be paid now (or say in ``result`` why not)."""
    account = account_of(shop_id)
    state = payout_state(account)
    if not state.payable:
        return result.skip(state.route.value)
    if state.route is Route.STRIPE and not _stripe_ready():
        return result.skip("stripe not configured")
    with tenant_context(shop_id):
        version = available_version(shop_id)
        parts, _ = payable_parts(available_parts(shop_id))
        total = sum(part.amount for part in parts)
        if total < max(minimum, 1):
            return result.skip("below minimum")
        if state.route is Route.MANUAL:
            made = _create(shop_id, PayoutMethod.MANUAL, parts, f"manual:{version}", actor_id)
            if made is not None:
                result.manual += 1
                result.amount += made.amount
            return None
        for plan in plan_transfers(parts):
            main = plan.parts[0].order_id or "balance"
            made = _create(
                shop_id,
                PayoutMethod.STRIPE,
                plan.parts,
                f"stripe:{version}:{main}",
                actor_id,
                stripe_account_id=account.stripe_account_id if account else None,
            )
            if made is not None:
                result.stripe += 1
                result.amount += made.amount
    return None


def _create(
    shop_id: UUID,
    method: PayoutMethod,
    parts: list[Part],
    key: str,
    actor_id: UUID | None,
    *,
    stripe_account_id: str | None = None,
) -> Payout | None:
    """Make the payout and its items, post it, queue what follows; None when made already."""
    payout = Payout(
        tenant_id=shop_id,
        method=method,
        amount=sum(part.amount for part in parts),
        currency=currency(),
        idempotency_key=key[:200],
        stripe_account_id=stripe_account_id,
        actor_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payout)
            db.session.flush()
    except IntegrityError:
        return None  # another run paid this very balance
    items = [
        PayoutItem(
            tenant_id=shop_id,
            payout_id=payout.id,
            order_id=part.order_id,
            checkout_id=part.checkout_id,
            amount=part.amount,
        )
        for part in parts
    ]
    db.session.add_all(items)
    db.session.flush()
    entries.post_created(payout, items)
    if method is PayoutMethod.MANUAL:
        add_to_open_batch(payout)
    elif payout.amount == 0:
        _netted(payout)  # debts took all of it: nothing to send
    else:
        enqueue_after_commit(jobs.send_payout, str(payout.id))
    return payout


def _netted(payout: Payout) -> None:
    db.session.execute(
        sa.update(Payout)
        .where(Payout.tenant_id == payout.tenant_id, Payout.id == payout.id)
        .values(status=PayoutStatus.PAID, paid_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payout)
