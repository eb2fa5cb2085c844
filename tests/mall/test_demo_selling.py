"""The demo mall sells: shipping, tax, coupons, payment settings and past orders; idempotent."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.services import find_user_by_email
from mall.cart.services import account_cart, add_line
from mall.catalog.models import Product, ProductKind, ProductStatus, Variant
from mall.checkout.models import Checkout, CheckoutStatus
from mall.checkout.services import (
    find_checkout,
    review,
    set_addresses,
    set_contact,
    start_checkout,
)
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.coupons.services import find_coupons
from mall.demo.money import demo_token
from mall.demo.people import seed_demo
from mall.demo.selling import CUSTOMER, DEMO_ADDRESS
from mall.extensions import db
from mall.ledger.models import CommissionRate, LedgerEntry, LedgerLine
from mall.orders.models import Order, OrderLine, OrderStatus, Shipment
from mall.orders.services import order_address, orders_of_checkout
from mall.payments.models import Payment, PaymentSettings
from mall.payments.services import available_methods, bank_instructions
from mall.pricing.models import PricingSettings, ShippingMethod, TaxRate
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant, TenantStatus

TABLES = (
    ShippingMethod,
    TaxRate,
    PricingSettings,
    ShopCoupon,
    MallCoupon,
    PaymentSettings,
    Checkout,
    Order,
    OrderLine,
    Payment,
    Shipment,
    LedgerEntry,
    LedgerLine,
    CommissionRate,
)
LONDON = PostalAddress(
    name="Test Person", line1="1 Test Street", city="London", postal_code="SW1A 1AA", country="GB"
)
WASHINGTON = PostalAddress(
    name="Test Person",
    line1="1600 Pennsylvania Ave NW",
    city="Washington",
    postal_code="20500",
    country="US",
    region="DC",
)


def counts() -> dict[str, int]:
    with all_tenants("test: count what the demo sells"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in TABLES
        }


@pytest.fixture
def seeded(app_ctx):
    report = seed_demo()
    db.session.commit()
    return report


def shops() -> dict[str, Tenant]:
    return {shop.slug: shop for shop in db.session.scalars(sa.select(Tenant))}


def physical_variant(shop: Tenant) -> Variant | None:
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(Variant)
            .join(Variant.product)
            .where(
                Product.status == ProductStatus.PUBLISHED,
                Product.kind == ProductKind.PHYSICAL,
                Variant.stock_quantity > 0,
            )
            .order_by(Product.title, Variant.position)
            .limit(1)
        )


def test_seeding_twice_changes_nothing_the_second_time(seeded):
    first = counts()
    assert all(first.values()), first  # every table has demo rows: the counts prove something
    again = seed_demo()
    db.session.commit()
    assert counts() == first
    selling = [line for line in again if line.startswith("Selling:")]
    assert selling and "MALL5" in selling[0] and "WELCOME10" in selling[0]


def test_the_printed_coupon_codes_work(seeded, make_user):
    green = shops()["green-thumb"]
    paper = shops()["paper-lantern"]
    customer = make_user()
    rules, messages = find_coupons(
        ["mall5", "WELCOME10"], tenant_ids=[green.id, paper.id], user_id=customer.id
    )
    assert messages == []
    by_code = {rule.code: rule for rule in rules}
    assert by_code["MALL5"].tenant_id is None  # the mall's, funded by the platform
    assert (by_code["MALL5"].amount, by_code["MALL5"].minimum_subtotal) == (500, 3000)
    assert by_code["WELCOME10"].tenant_id == green.id
    assert by_code["WELCOME10"].percent_bp == 1000
    # Green Thumb's code is no good in a cart without Green Thumb.
    rules, messages = find_coupons(["WELCOME10"], tenant_ids=[paper.id], user_id=customer.id)
    assert rules == [] and len(messages) == 1


def test_every_active_shop_with_parcels_ships_to_gb(seeded, make_user):
    customer = make_user()  # (its commit would expire the variants read below)
    active = [s for s in shops().values() if s.status is TenantStatus.ACTIVE]
    variants = {shop.slug: physical_variant(shop) for shop in active}
    physical = {slug: v for slug, v in variants.items() if v is not None}
    assert {"green-thumb", "paper-lantern", "copper-kettle", "northwind-outfitters"} <= set(
        physical
    )
    assert variants["pixel-forge"] is None  # digital only: it needs no shipping
    cart = account_cart(customer.id)
    for variant in physical.values():
        with tenant_context(variant.tenant_id):
            add_line(cart, variant, 1, nonce=None)
    checkout = start_checkout(secrets.token_urlsafe(24), cart=cart, user=customer)
    set_contact(checkout, email=customer.email)
    set_addresses(checkout, shipping=LONDON, billing=None)
    summary = review(checkout, cart)
    assert len(summary.quote.shops) == len(physical)
    for part in summary.quote.shops:
        assert part.shipping is not None and part.messages == [], part.tenant_id
    assert summary.quote.ready
    # Any address works; the UK-only express of Green Thumb is offered in the UK only.
    green = next(p for p in summary.quote.shops if p.tenant_id == physical["green-thumb"].tenant_id)
    assert "Express (UK only)" in {o.name for o in green.shipping_options}
    set_addresses(checkout, shipping=WASHINGTON, billing=None)
    abroad = review(checkout, cart)
    assert all(part.shipping is not None for part in abroad.quote.shops)
    green = next(p for p in abroad.quote.shops if p.tenant_id == physical["green-thumb"].tenant_id)
    assert "Express (UK only)" not in {o.name for o in green.shipping_options}


def test_the_demo_customer_has_a_paid_order_and_one_awaiting_a_bank_transfer(seeded):
    customer = find_user_by_email(CUSTOMER)
    # The money story's checkouts (tests/mall/test_demo_money.py) are the demo's later ones.
    # mall/demo/delivery.py's digital order is one of them too, affiliates/demo.py's, and
    # vendors/demo.py's drop-ship order.
    story = {
        find_checkout(demo_token(name)).id
        for name in ("story", "paid-out", "digital", "affiliate", "drop-ship")
    }
    checkouts = list(db.session.scalars(sa.select(Checkout).where(Checkout.user_id == customer.id)))
    by_method = {c.payment_method: c for c in checkouts if c.id not in story}
    assert len(checkouts) == len(story) + 2
    assert set(by_method) == {"test", "bank_transfer"}
    assert by_method["test"].status is CheckoutStatus.PAID
    assert by_method["bank_transfer"].status is CheckoutStatus.AWAITING
    paid = orders_of_checkout(by_method["test"].id)
    assert len(paid) == 2 and all(o.status is OrderStatus.PAID for o in paid)
    waiting = orders_of_checkout(by_method["bank_transfer"].id)
    assert [o.status for o in waiting] == [OrderStatus.AWAITING_PAYMENT]
    # Each shop reads its own sealed copy of the customer's address.
    for order in paid:
        with tenant_context(order.tenant_id):
            assert order_address(order) == DEMO_ADDRESS


def test_bank_transfer_at_two_shops_with_instructions(seeded):
    by_slug = shops()
    both = [by_slug["green-thumb"].id, by_slug["paper-lantern"].id]
    assert "bank_transfer" in {m.name for m in available_methods(both)}
    mixed = [*both, by_slug["copper-kettle"].id]
    assert "bank_transfer" not in {m.name for m in available_methods(mixed)}
    instructions = bank_instructions(both)
    assert all("IBAN" in instructions[shop] for shop in both)
