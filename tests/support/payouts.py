"""Paying shops in tests: card sales through the Stripe stub, shipping, the holding period,
Connect accounts, and the ledger's invariant after each scenario.

Fixtures to import into a test module by name: ``acme`` (paid by Stripe transfers),
``bolt`` (paid by manual batches), ``as_operator``. The Stripe fixtures
(``stub_server``, ``stripe_on``) and events are in ``tests/support/stripe_checkout.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import ProductKind, ProductStatus
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.checkout.models import Checkout
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.connect import set_stripe_account
from mall.ledger.models import (
    Account,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    Payout,
    PayoutStatus,
)
from mall.ledger.payouts import RunResult, run_payouts
from mall.ledger.release import release_due
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import orders_of_checkout
from tenants.context import all_tenants, tenant_context
from tenants.settings import put_setting
from tests.support.shopping import Stocked, add_to_cart, fill_checkout, place, stock_shop
from tests.support.stripe_checkout import webhook
from tests.support.stripe_stub import StripeStub

LATER = timedelta(days=8)  # past the default holding period of 7 days
ACME_ACCT = "acct_1ShopAcmeTest"


@pytest.fixture
def acme(app_ctx, make_shop, stripe_on):
    """A shop paid by Stripe transfers (its account can receive them), selling at 20.00."""
    put_setting("commission.default_bp", 1000)
    shop = make_shop("acme", name="Acme Tools")
    stocked = stock_shop(shop, price=2000, quantity=20)
    connect(shop, stripe_on, ACME_ACCT)
    return shop, stocked


@pytest.fixture
def bolt(app_ctx, make_shop, stripe_on):
    """A shop without a Stripe account: paid by the mall's manual batches."""
    put_setting("commission.default_bp", 1000)
    shop = make_shop("bolt", name="Bolt & Nut")
    return shop, stock_shop(shop, price=3000, quantity=20)


@pytest.fixture
def as_operator(app, client, operator, sign_in, monkeypatch):
    """The test client, signed in as the operator, CSRF off."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    sign_in(operator)
    return client


def digital_product(shop, *, price: int) -> UUID:
    """A published digital product of ``shop`` (nothing ships); its variant's id."""
    token = uuid4().hex[:8]
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=f"E-book {token}",
                slug=f"ebook-{token}",
                status=ProductStatus.PUBLISHED,
                kind=ProductKind.DIGITAL,
                variants=[VariantInput(sku=f"EB-{token}", price=price, track_stock=False)],
            )
        )
        variant_id = product.variants[0].id
    db.session.commit()
    return variant_id


@dataclass(frozen=True)
class Sold:
    """An order's ids, readable after the session that loaded it committed."""

    id: UUID
    tenant_id: UUID
    checkout_id: UUID
    number: str
    total: int


def sold(orders: list[Order]) -> list[Sold]:
    return [Sold(o.id, o.tenant_id, o.checkout_id, o.number, o.total) for o in orders]


def last_checkout_orders() -> list[Order]:
    db.session.expire_all()
    checkout_id = db.session.scalar(
        sa.select(Checkout.id).order_by(Checkout.created_at.desc()).limit(1)
    )
    return orders_of_checkout(checkout_id)


def pay_by_card(client, stub: StripeStub, *items: tuple[UUID, int]) -> list[Sold]:
    """The customer buys ``items`` and pays on Stripe (the webhook says so); the orders."""
    for variant_id, quantity in items:
        assert add_to_cart(client, variant_id, quantity).status_code in (200, 303)
    response = place(client, fill_checkout(client, method="stripe"))
    session_id = re.search(r"(cs_test_\w+)", response.headers["Location"]).group(1)
    session = stub.pay(session_id)
    answer = webhook(client, "checkout.session.completed", session, event_id=f"evt_{session_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return sold(last_checkout_orders())


def sell_and_release(client, stub: StripeStub, stocked: Stocked, quantity: int = 1) -> Sold:
    """A card sale of ``quantity`` units, shipped and past its holding period."""
    (order,) = pay_by_card(client, stub, (stocked.variant_id, quantity))
    ship_all(order)
    release_later()
    return order


def pay_out() -> RunResult:
    """A payout run, committed: the transfers are made by jobs after the commit."""
    result = run_payouts()
    db.session.commit()
    return result


def transfers(stub: StripeStub) -> list:
    """The transfers Mall asked Stripe for."""
    return stub.posts("/v1/transfers")


def refund_units(order: Sold, units: int = 1, key: str = "r1") -> int:
    """The shop refunds ``units`` of the order's first line (committed: the transfer reversal
    job runs); the amount refunded."""
    with tenant_context(order.tenant_id):
        found = db.session.get(Order, (order.tenant_id, order.id))
        line = found.lines[0]
        refund, _ = refund_order(
            found, RefundRequest(quantities={line.id: units}), actor_id=None, key=key
        )
        refund_amount = refund.amount
    db.session.commit()  # the reversal job runs now (inline)
    return refund_amount


def ship_all(order: Sold) -> None:
    """The shop ships every unit of the order (one parcel)."""
    with tenant_context(order.tenant_id):
        order = db.session.get(Order, (order.tenant_id, order.id), populate_existing=True)
        create_shipment(
            order,
            quantities={line.id: line.quantity for line in order.lines if line.requires_shipping},
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            request_key=uuid4().hex,
            actor_id=None,
        )
    db.session.commit()


def release_later(days: timedelta = LATER) -> int:
    """Run the holding-period sweep as if ``days`` had passed; how many orders it released."""
    released = 0
    after = None
    while True:
        sweep = release_due(now=utcnow() + days, after=after)
        released += sweep.released
        if sweep.after is None:
            break
        after = sweep.after
    db.session.commit()
    return released


def connect(shop, stub: StripeStub, account_id: str, **state) -> None:
    """The shop connects its Stripe account; Stripe's state is read by the job after commit."""
    stub.account(account_id, **state)
    with tenant_context(shop):
        set_stripe_account(shop, account_id=account_id, actor_id=None)
    db.session.commit()


def owed(shop_id: UUID, account: Account) -> int:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
            LedgerLine.shop_id == shop_id, LedgerLine.account == account
        )
    )
    return -int(total or 0)


def payouts_of(shop_id: UUID) -> list[Payout]:
    db.session.expire_all()
    with tenant_context(shop_id):
        return list(db.session.scalars(sa.select(Payout).order_by(Payout.created_at, Payout.id)))


def entry_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0)


# Entries that move money between a shop's own accounts only.
INTERNAL = (EntryKind.RELEASE, EntryKind.RESERVE, EntryKind.RESERVE_RELEASE, EntryKind.PAYOUT)


def assert_ledger_invariant() -> None:
    """The chain verifies; every entry balances; what moves between a shop's own accounts nets
    to zero for it; each shop's in-transit balance is its payouts not yet paid; and what the
    mall owes each shop is what it earned less what left the platform for it."""
    db.session.expire_all()
    found = verify_chain()
    assert found.ok, found.message
    unbalanced = db.session.scalars(
        sa.select(LedgerLine.entry_id)
        .group_by(LedgerLine.entry_id)
        .having(sa.func.sum(LedgerLine.amount) != 0)
    ).all()
    assert not unbalanced
    shop_sum = sa.func.sum(LedgerLine.amount)
    rows = db.session.execute(
        sa.select(LedgerEntry.idempotency_key, LedgerEntry.kind, LedgerLine.shop_id, shop_sum)
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .where(LedgerLine.shop_id.is_not(None))
        .group_by(LedgerEntry.idempotency_key, LedgerEntry.kind, LedgerLine.shop_id)
    ).all()
    earned: dict[UUID, int] = {}
    left: dict[UUID, int] = {}
    for key, kind, shop_id, total in rows:
        internal = kind in INTERNAL or key.startswith("payout_failed:")
        if internal:
            assert total == 0, f"{key} moves {total} out of shop {shop_id}'s accounts"
        elif kind in (EntryKind.PAYOUT_PAID, EntryKind.PAYOUT_FAILED, EntryKind.TRANSFER_REVERSAL):
            left[shop_id] = left.get(shop_id, 0) + int(total)
        else:
            earned[shop_id] = earned.get(shop_id, 0) - int(total)
    for shop_id in set(earned) | set(left):
        all_lines = db.session.scalar(
            sa.select(sa.func.sum(LedgerLine.amount)).where(LedgerLine.shop_id == shop_id)
        )
        assert -int(all_lines or 0) == earned.get(shop_id, 0) - left.get(shop_id, 0)
        with all_tenants("test: the shop's payouts on their way"):
            on_way = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Payout.amount), 0)).where(
                    Payout.tenant_id == shop_id,
                    Payout.status.in_([PayoutStatus.PENDING, PayoutStatus.SENT]),
                )
            )
        assert owed(shop_id, Account.PAYOUTS_IN_TRANSIT) == int(on_way or 0)
