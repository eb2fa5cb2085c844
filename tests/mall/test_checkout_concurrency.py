"""The last unit is sold once: 20 customers at once, 5 in stock (PostgreSQL, real commits)."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from mall.catalog.models import StockMovement, Variant
from mall.checkout.completion import expire_overdue
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order, OrderStatus
from tenants.context import all_tenants, tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.shopping import (
    accept_manual_payments,
    add_to_cart,
    fill_checkout,
    place,
    stock_shop,
)

CUSTOMERS = 20
IN_STOCK = 5

pytestmark = needs_committed_pg
committed_app = committed_app_fixture(WTF_CSRF_ENABLED=False)


def stocked_shop(app, slug: str, method: str):
    with app.app_context():
        shop = create_shop(slug, name=slug.title(), status=TenantStatus.ACTIVE)
        db.session.commit()
        if method == "bank_transfer":
            accept_manual_payments(shop)
        return stock_shop(shop, price=999, quantity=IN_STOCK)


def customers_race(app, stocked, method: str) -> list[int]:
    """Every customer fills a cart and the checkout, then all press "place" at once."""
    ready = threading.Barrier(CUSTOMERS)
    outcomes: list[int] = []
    errors: list[BaseException] = []

    def customer() -> None:
        client = app.test_client()
        try:
            add_to_cart(client, stocked.variant_id)
            review = fill_checkout(client, method=method)
            ready.wait(timeout=120)
            response = place(client, review)
            outcomes.append(1 if "/checkout/thanks/" in response.headers.get("Location", "") else 0)
        except BaseException as error:  # surfaced below
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=customer) for _ in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    return outcomes


def stock_and_orders(app, stocked) -> tuple[int, list[Order]]:
    with app.app_context():
        with tenant_context(stocked.shop_id):
            variant = db.session.get(Variant, (stocked.shop_id, stocked.variant_id))
            moved = db.session.scalar(
                sa.select(sa.func.sum(StockMovement.delta)).where(
                    StockMovement.variant_id == stocked.variant_id
                )
            )
            assert moved == variant.stock_quantity  # the quantity is the sum of its movements
            quantity = variant.stock_quantity
        with all_tenants("test: the shop's orders"):
            made = db.session.scalars(
                sa.select(Order).where(Order.tenant_id == stocked.shop_id)
            ).all()
            for order in made:
                db.session.expunge(order)
        return quantity, list(made)


def test_twenty_customers_five_units_five_orders(committed_app):
    stocked = stocked_shop(committed_app, "race-paid", "test")
    outcomes = customers_race(committed_app, stocked, "test")
    quantity, made = stock_and_orders(committed_app, stocked)
    assert sum(outcomes) == IN_STOCK
    assert len(made) == IN_STOCK and all(o.status is OrderStatus.PAID for o in made)
    assert quantity == 0
    numbers = sorted(int(o.number.rsplit("-", 1)[1]) for o in made)
    assert numbers == list(range(1001, 1001 + IN_STOCK))  # no gaps, however many failed


def test_expired_holds_return_the_stock_exactly_once(committed_app):
    stocked = stocked_shop(committed_app, "race-expiry", "bank_transfer")
    outcomes = customers_race(committed_app, stocked, "bank_transfer")
    assert sum(outcomes) == IN_STOCK
    later = utcnow() + timedelta(days=30)
    swept: list[int] = []

    def sweeper() -> None:
        with committed_app.app_context():
            swept.append(expire_overdue(now=later))
            db.session.commit()

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    quantity, made = stock_and_orders(committed_app, stocked)
    assert quantity == IN_STOCK
    assert all(o.status is OrderStatus.CANCELLED for o in made)
