"""Paid orders for the money tests: a customer buys through the pages, then what the ledger says."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.extensions import db
from mall.ledger.models import Account, LedgerLine
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from tests.support.shopping import add_to_cart, fill_checkout, place


def buy(client, *items: tuple[UUID, int], method: str = "test") -> list[Order]:
    """Put ``(variant_id, quantity)`` items in the cart and pay; the checkout's orders."""
    for variant_id, quantity in items:
        assert add_to_cart(client, variant_id, quantity).status_code in (200, 303)
    response = place(client, fill_checkout(client, method=method))
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    checkout_id = db.session.scalar(
        sa.select(Checkout.id).order_by(Checkout.created_at.desc()).limit(1)
    )
    return orders_of_checkout(checkout_id)


def shop_owed(shop_id: UUID) -> int:
    """What the mall owes the shop on every account (its lines' credits, as a positive number)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
            LedgerLine.shop_id == shop_id
        )
    )
    return -int(total or 0)


def account_total(account: Account, shop_id: UUID | None = None) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
        LedgerLine.account == account
    )
    if shop_id is not None:
        query = query.where(LedgerLine.shop_id == shop_id)
    return int(db.session.scalar(query) or 0)
