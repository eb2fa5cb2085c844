"""Paying shops in tests: card sales through the Stripe stub, shipping, the holding period,
Connect accounts, and the ledger's invariant after each scenario.

Import the fixtures into a test module by name (``stub_server``, ``stripe_on``).
"""

from __future__ import annotations

import json
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
from mall.ledger.release import release_due
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from mall.payments.providers import forget_banner
from tenants.context import all_tenants, tenant_context
from tests.support.shopping import add_to_cart, fill_checkout, place
from tests.support.stripe_stub import StripeStub, start_stub

SECRET = "whsec_payout_tests"
CONNECT_SECRET = "whsec_connect_tests"
WEBHOOK = "/payments/stripe/webhook"
CONNECT_WEBHOOK = "/payouts/stripe/connect-webhook"
LATER = timedelta(days=8)  # past the default holding period of 7 days


@pytest.fixture(scope="module")
def stub_server():
    stub, server = start_stub()
    yield stub
    server.shutdown()


@pytest.fixture
def stripe_on(app, stub_server, monkeypatch):
    """Stripe configured against the stub (platform and Connect webhooks), CSRF off."""
    stub_server.requests.clear()
    stub_server.refunds.clear()
    stub_server.forget_connect()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_mall")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stub_server.base)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    with app.app_context():
        forget_banner()
    yield stub_server
    with app.app_context():
        forget_banner()


def webhook(
    client,
    event_type: str,
    obj: dict,
    *,
    event_id: str,
    path: str = WEBHOOK,
    secret: str = SECRET,
    created: int | None = None,
):
    """Post an event signed as Stripe signs it (``created``: when Stripe made it)."""
    payload = StripeStub.event(event_type, obj, event_id=event_id)
    if created is not None:
        payload = json.dumps({**json.loads(payload), "created": created}).encode()
    return client.post(
        path,
        data=payload,
        headers={"Stripe-Signature": StripeStub.sign(payload, secret)},
        content_type="application/json",
    )


def connect_event(client, account: dict, *, event_id: str, created: int | None = None):
    return webhook(
        client,
        "account.updated",
        account,
        event_id=event_id,
        path=CONNECT_WEBHOOK,
        secret=CONNECT_SECRET,
        created=created,
    )


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
