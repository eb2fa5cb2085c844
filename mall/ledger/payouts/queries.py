"""What the payout pages read: a fixed number of queries per page, whatever the rows.

Amounts are what the mall owes (positive) as everywhere on the payout pages. No
personal data: shops by name, orders by number.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.connect import PayoutState, account_of, payout_state
from mall.ledger.models import (
    Account,
    LedgerLine,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutItem,
    TransferReversal,
)
from mall.ledger.payouts.balances import owed, owed_by_shop
from mall.orders.models import Order
from mall.pagination import Page, paginate
from tenants.models import Tenant
from tenants.services import find_shops

SHOWN = (
    Account.SHOP_AVAILABLE,
    Account.SHOP_PENDING,
    Account.SHOP_RESERVE,
    Account.SHOP_DISPUTED,
    Account.PAYOUTS_IN_TRANSIT,
)


@dataclass(frozen=True)
class ShopPayoutRow:
    """One shop on the operator's payouts page."""

    shop: Tenant
    owed: dict[Account, int]
    state: PayoutState
    account: PayoutAccount | None

    @property
    def available(self) -> int:
        return self.owed[Account.SHOP_AVAILABLE]


def shop_rows(*, query: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Shops, newest first, with their balances and how they are paid (four queries)."""
    shops = find_shops(query=query, page=page, per_page=per_page)
    ids = [shop.id for shop in shops.items]
    balances = owed_by_shop(ids, SHOWN)
    accounts = {
        account.shop_id: account
        for account in db.session.scalars(
            sa.select(PayoutAccount).where(PayoutAccount.shop_id.in_(ids))
        )
    }
    items = [
        ShopPayoutRow(
            shop, balances[shop.id], payout_state(accounts.get(shop.id)), accounts.get(shop.id)
        )
        for shop in shops.items
    ]
    return Page(items=items, page=shops.page, per_page=shops.per_page, total=shops.total)


def mall_totals() -> dict[Account, int]:
    """What the mall owes all shops in reserves and in transit (one query; the available
    balances are ``payable_totals``: summed whole, debts would hide what is payable)."""
    wanted = [Account.PAYOUTS_IN_TRANSIT, Account.SHOP_RESERVE]
    rows = db.session.execute(
        sa.select(LedgerLine.account, sa.func.sum(LedgerLine.amount))
        .where(LedgerLine.account.in_(wanted))
        .group_by(LedgerLine.account)
    )
    found = {Account(account): -int(total) for account, total in rows}
    return {account: found.get(account, 0) for account in wanted}


@dataclass(frozen=True)
class PayableTotals:
    """The shops' available balances, split by what can be done with them (all positive)."""

    payable: int = 0  # owed to shops that can be paid (Stripe ready, or manual)
    waiting: int = 0  # owed to shops held by the mall or blocked at Stripe
    debts: int = 0  # owed by shops (negative balances), netted from their next payouts
    debtors: int = 0  # how many shops owe


def payable_totals() -> PayableTotals:
    """Positive available balances of payable shops, of blocked or held ones, and debts
    apart (one query: a row per shop with a balance; its state decides the column)."""
    total = sa.func.sum(LedgerLine.amount)
    balances = (
        sa.select(LedgerLine.shop_id, (-total).label("owed"))
        .where(LedgerLine.account == Account.SHOP_AVAILABLE, LedgerLine.shop_id.is_not(None))
        .group_by(LedgerLine.shop_id)
        .having(total != 0)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(balances.c.owed, PayoutAccount).outerjoin(
            PayoutAccount, PayoutAccount.shop_id == balances.c.shop_id
        )
    ).all()
    payable = waiting = debts = debtors = 0
    for amount, account in rows:
        if amount < 0:
            debts, debtors = debts - int(amount), debtors + 1
        elif payout_state(account).payable:
            payable += int(amount)
        else:
            waiting += int(amount)
    return PayableTotals(payable, waiting, debts, debtors)


def batches(*, page: int = 1, per_page: int = 10) -> Page:
    """Manual payout batches, newest first."""
    statement = sa.select(PayoutBatch).order_by(
        PayoutBatch.created_at.desc(), PayoutBatch.id.desc()
    )
    return paginate(statement, page=page, per_page=per_page)


@dataclass(frozen=True)
class ShopPayouts:
    """One shop's payout state, balances and payouts (the console's shop page)."""

    account: PayoutAccount | None
    state: PayoutState
    owed: dict[Account, int]
    payouts: Page


def shop_payouts(shop_id: UUID, *, page: int = 1, per_page: int = 25) -> ShopPayouts:
    """The shop's state and payouts, newest first (shop in context; five queries)."""
    account = account_of(shop_id)
    statement = sa.select(Payout).order_by(Payout.created_at.desc(), Payout.id.desc())
    return ShopPayouts(
        account,
        payout_state(account),
        owed(shop_id, SHOWN),
        paginate(statement, page=page, per_page=per_page),
    )


@dataclass(frozen=True)
class ItemRow:
    """One item of a payout as the shop sees it."""

    item: PayoutItem
    order_number: str | None


def payout_items(payout: Payout) -> list[ItemRow]:
    """The payout's items with their orders' numbers, in one query (shop in context)."""
    rows = db.session.execute(
        sa.select(PayoutItem, Order.number)
        .outerjoin(
            Order, sa.and_(Order.tenant_id == PayoutItem.tenant_id, Order.id == PayoutItem.order_id)
        )
        .where(PayoutItem.payout_id == payout.id)
        .order_by(PayoutItem.amount.desc(), PayoutItem.id)
    ).all()
    return [ItemRow(item, number) for item, number in rows]


def payout_reversals(payout: Payout) -> list[TransferReversal]:
    """Money asked back from the payout's transfer, oldest first (shop in context)."""
    return list(
        db.session.scalars(
            sa.select(TransferReversal)
            .join(PayoutItem, PayoutItem.id == TransferReversal.payout_item_id)
            .where(PayoutItem.payout_id == payout.id)
            .order_by(TransferReversal.created_at)
        )
    )
