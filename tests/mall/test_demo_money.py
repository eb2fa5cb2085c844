"""The demo's money story (``mall.demo.money``): commission rates, an order for the owner to ship
in part and refund, a released order for the operator to pay out; all through the real services,
once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.accounts.services import find_user_by_email
from mall.catalog.models import Category
from mall.checkout.models import Checkout
from mall.demo.money import CATEGORY_OVERRIDE, demo_order, demo_token
from mall.demo.people import seed_demo
from mall.demo.selling import CUSTOMER
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.commission import MALL_DEFAULT_BP, commission_settings
from mall.ledger.commission_admin import category_rate
from mall.ledger.models import (
    Account,
    CommissionRate,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    OrderCommission,
)
from mall.ledger.payouts import payout_minimum
from mall.ledger.payouts.balances import shops_owed_at_least
from mall.ledger.sales import release_key
from mall.orders.models import Order, OrderLine, OrderStatus, Shipment
from mall.orders.shipment_queries import order_lines
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant


@pytest.fixture
def seeded(app_ctx):
    report = seed_demo()
    db.session.commit()
    return report


def shop(slug: str) -> Tenant:
    return db.session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()


def counts() -> dict[str, int]:
    with all_tenants("test: count what the demo's money story made"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Order, Shipment, LedgerEntry, LedgerLine, OrderCommission, CommissionRate)
        }


def test_the_owner_has_a_paid_order_of_two_lines_to_ship_in_part_and_refund(seeded):
    order = demo_order("story")
    assert order is not None
    green = shop("green-thumb")
    assert order.tenant_id == green.id
    assert order.status is OrderStatus.PAID and order.payment_method == "test"
    assert db.session.get(Checkout, order.checkout_id).user_id == find_user_by_email(CUSTOMER).id
    with tenant_context(green):
        lines = order_lines(order)
        assert len({line.variant_id for line in lines}) >= 2
        assert all(line.quantity >= 2 and line.quantity_shipped == 0 for line in lines)
        # The seeds go at Green Thumb's override, the trowels at the mall's rate: frozen per line.
        frozen = {
            row.order_line_id: (row.rate_bp, row.rule)
            for row in db.session.scalars(
                sa.select(OrderCommission).where(OrderCommission.order_id == order.id)
            )
        }
        by_title = {line.title: frozen[line.id] for line in lines}
    assert by_title["Heirloom Tomato Seed Collection"] == (800, "category: Seeds")
    assert by_title["Stainless Steel Hand Trowel"] == (MALL_DEFAULT_BP, "mall default")
    # The rates that chose them: the built-in mall default and one category override.
    assert commission_settings().default_bp == MALL_DEFAULT_BP  # nothing stored for it
    slug, category_slug, rate_bp = CATEGORY_OVERRIDE
    category = db.session.scalar(sa.select(Category).where(Category.slug == category_slug))
    assert category_rate(shop(slug).id, category.id) == rate_bp
    assert any("ship part of it and refund a line" in line for line in seeded)


def test_a_shop_has_released_earnings_for_the_operator_to_pay_out(seeded):
    order = demo_order("paid-out")
    assert order is not None
    kettle = shop("copper-kettle")
    assert order.tenant_id == kettle.id
    assert order.status is OrderStatus.FULFILLED and order.fulfilled_at is not None
    with tenant_context(kettle):
        assert db.session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id))
        shipped = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id))
        assert all(line.quantity_shipped == line.quantity for line in shipped)
    released = db.session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.idempotency_key == release_key(order.id))
    )
    assert released is not None and released.kind is EntryKind.RELEASE
    available = -db.session.scalar(
        sa.select(sa.func.sum(LedgerLine.amount)).where(
            LedgerLine.shop_id == kettle.id, LedgerLine.account == Account.SHOP_AVAILABLE
        )
    )
    assert available >= payout_minimum()
    assert kettle.id in shops_owed_at_least(payout_minimum())
    report = next(line for line in seeded if order.number in line)
    assert "skips its 7-day holding period" in report
    # Only the services' own entries: payments of the paid orders and the one release
    # (and the demo affiliate's commission on its sale, affiliates/demo.py; Green Thumb's
    # vendor bill and its two payments in its own purchasing books, vendors/demo.py).
    kinds = set(db.session.scalars(sa.select(LedgerEntry.kind).distinct()))
    assert kinds == {
        EntryKind.PAYMENT,
        EntryKind.RELEASE,
        EntryKind.AFFILIATE_COMMISSION,
        EntryKind.VENDOR_BILL,
        EntryKind.BILL_PAYMENT,
    }
    assert verify_chain().ok


def test_seeding_again_places_ships_and_posts_nothing_more(seeded):
    first = counts()
    numbers = (demo_order("story").number, demo_order("paid-out").number)
    again = seed_demo()
    db.session.commit()
    assert counts() == first
    assert (demo_order("story").number, demo_order("paid-out").number) == numbers
    assert [line for line in again if line.startswith("Money:")] == [
        line for line in seeded if line.startswith("Money:")
    ]


def test_the_demo_checkout_tokens_are_secret_and_stable(app_ctx, app, monkeypatch):
    token = demo_token("story")
    assert token == demo_token("story") and 16 <= len(token) <= 64
    assert token != demo_token("paid-out")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-of-enough-length")
    assert demo_token("story") != token  # nobody without the key can open the checkout
