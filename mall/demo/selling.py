"""The demo mall sells: shipping and tax per shop, coupons, payment settings, past orders.

Everything goes through the domains' own services, inside each shop's context,
and is made only when missing, so ``flask mall seed-demo`` can run again. The
past orders are placed the way a customer places them (cart, checkout steps,
submission), so the back offices are not empty and the personal data test
finds the demo customer's address only as ciphertext.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.models import User
from mall.accounts.services import find_user_by_email
from mall.cart.services import account_cart, add_line
from mall.catalog.models import Product, ProductKind, ProductStatus, Variant
from mall.checkout.models import Checkout
from mall.checkout.services import (
    review,
    set_addresses,
    set_contact,
    set_payment_method,
    start_checkout,
)
from mall.checkout.submission import submit_checkout
from mall.coupons import editing
from mall.coupons.editing import CouponInput
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.db import utcnow
from mall.extensions import db
from mall.payments.services import shop_settings, update_shop_settings
from mall.pricing import services as pricing
from mall.pricing.models import ShippingMethod, TaxRate
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus

CUSTOMER = "carla.customer@mall.example"
# The demo customer's delivery address: personal data, so the dump test looks for it.
DEMO_ADDRESS = PostalAddress(
    name="Carla Jensen-Whitfield",
    line1="48 Larkspur Crescent",
    line2="Flat 3",
    city="Whitby",
    postal_code="YO21 3PZ",
    country="GB",
    phone="+44 1947 600 123",
)
DEMO_ADDRESS_DATA = (
    DEMO_ADDRESS.line1,
    "Larkspur Crescent",
    DEMO_ADDRESS.city,
    DEMO_ADDRESS.postal_code,
    DEMO_ADDRESS.phone,
)

BANK_INSTRUCTIONS = (
    "Pay to {name}, IBAN GB29 NWBK 6016 1331 9268 19, BIC NWBKGB2L.\n"
    "Quote your order number; we send your parcel when the transfer arrives."
)
# (slug, [(name, kind, price, free above, countries, tiers, description)])
SHIPPING = {
    "green-thumb": [
        ("Standard", "flat", 495, 5000, [], [], "3-5 working days"),
        ("Express (UK only)", "flat", 995, None, ["GB"], [], "next working day"),
    ],
    "paper-lantern": [("Book post", "flat", 350, 3000, [], [], "2-4 working days")],
    "copper-kettle": [
        ("Standard", "flat", 450, 4000, [], [], "2-3 working days"),
        ("Collect from the roastery", "pickup", 0, None, [], [], "Unit 4, Mill Lane"),
    ],
    "northwind-outfitters": [
        ("Tracked parcel", "weight", 0, None, [], [(1000, 595), (5000, 995), (30000, 1995)], ""),
    ],
}
# (slug, prices include tax, [(tax class, country, basis points, name)])
TAX = {
    "green-thumb": (False, [("standard", "GB", 2000, "VAT"), ("standard", "DE", 1900, "MwSt")]),
    "copper-kettle": (True, [("standard", "GB", 2000, "VAT"), ("shipping", "GB", 2000, "VAT")]),
}
BANK_SHOPS = ("green-thumb", "paper-lantern")


def seed_selling(shops: dict[str, Tenant]) -> list[str]:
    """Shipping, tax, coupons, payment settings and two past orders, where missing."""
    active = {slug: shop for slug, shop in shops.items() if shop.status is TenantStatus.ACTIVE}
    for slug, shop in active.items():
        with tenant_context(shop):
            _seed_shipping(slug)
            _seed_tax(slug)
            _seed_payments(slug, shop)
    _seed_coupons(active)
    orders = _seed_orders(active)
    db.session.flush()
    return [
        "Selling: shipping and tax per shop; coupons MALL5 (5.00 off above 30.00, any shop) "
        "and WELCOME10 (10 % at Green Thumb); bank transfer at "
        + ", ".join(BANK_SHOPS)
        + f"; {orders} past checkouts of {CUSTOMER}."
    ]


def _seed_shipping(slug: str) -> None:
    if db.session.scalar(sa.select(sa.func.count()).select_from(ShippingMethod)):
        return
    for position, (name, kind, price, free, countries, tiers, note) in enumerate(
        SHIPPING.get(slug, [])
    ):
        pricing.create_method(
            pricing.MethodInput(
                name=name,
                kind=kind,
                price=price,
                free_above=free,
                countries=countries,
                tiers=tiers,
                position=position,
                description=note,
            )
        )


def _seed_tax(slug: str) -> None:
    if slug not in TAX or db.session.scalar(sa.select(sa.func.count()).select_from(TaxRate)):
        return
    inclusive, rates = TAX[slug]
    pricing.set_prices_include_tax(inclusive)
    for tax_class, country, rate_bp, name in rates:
        pricing.add_rate(
            pricing.RateInput(tax_class=tax_class, country=country, rate_bp=rate_bp, name=name)
        )


def _seed_payments(slug: str, shop: Tenant) -> None:
    if slug not in BANK_SHOPS:
        return
    settings = shop_settings()
    if settings.bank_transfer_enabled:
        return
    update_shop_settings(
        settings,
        bank_transfer_enabled=True,
        bank_instructions=BANK_INSTRUCTIONS.format(name=shop.name),
        offline_card_enabled=False,
    )


def _seed_coupons(shops: dict[str, Tenant]) -> None:
    since = utcnow() - timedelta(days=1)
    if db.session.scalar(sa.select(MallCoupon).where(MallCoupon.code == "MALL5")) is None:
        editing.create_mall_coupon(
            CouponInput(
                code="MALL5",
                kind="fixed",
                amount=500,
                minimum_subtotal=3000,
                starts_at=since,
                per_customer_limit=1,
            ),
            actor_id=None,
        )
    shop = shops.get("green-thumb")
    if shop is None:
        return
    with tenant_context(shop):
        if db.session.scalar(sa.select(ShopCoupon).where(ShopCoupon.code == "WELCOME10")):
            return
        editing.create_shop_coupon(
            CouponInput(code="WELCOME10", kind="percent", percent_bp=1000, starts_at=since)
        )


def _seed_orders(shops: dict[str, Tenant]) -> int:
    """Two checkouts of the demo customer (test payment; bank transfer), once."""
    customer = find_user_by_email(CUSTOMER)
    if customer is None:
        return 0
    placed = db.session.scalar(
        sa.select(sa.func.count()).select_from(Checkout).where(Checkout.user_id == customer.id)
    )
    if placed:
        return placed
    made = 0
    for slugs, method in (
        (("green-thumb", "paper-lantern"), "test"),
        (("paper-lantern",), "bank_transfer"),
    ):
        variants = [_first_variant(shops[slug]) for slug in slugs if slug in shops]
        if any(v is None for v in variants) or not variants:
            continue
        _place(customer, variants, method)
        made += 1
    return made


def _first_variant(shop: Tenant) -> Variant | None:
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(Variant)
            .join(Variant.product)
            .where(
                Product.status == ProductStatus.PUBLISHED,
                Product.kind == ProductKind.PHYSICAL,
                Variant.stock_quantity > 2,
            )
            .order_by(Product.title, Variant.position)
            .limit(1)
        )


def _place(customer: User, variants: list[Any], method: str) -> None:
    place_demo_order(customer, [(variant, 1) for variant in variants], method)


def place_demo_order(
    customer: User,
    items: list[tuple[Variant, int]],
    method: str,
    *,
    token: str | None = None,
    referral: list[dict[str, Any]] | None = None,
) -> Checkout:
    """The demo customer buys ``items`` (variant, quantity) as a customer does; the checkout.

    Cart, contact, address, review, payment method and submission: the same services
    as the checkout pages, so every amount (tax, shipping, commission, the ledger's
    entries) is the one a real order gets. ``token`` is the checkout's browser token
    (a stable one lets a re-run find the checkout again); ``referral`` the referral
    cookie's entries the checkout keeps (``mall.checkout.referral``).
    """
    cart = account_cart(customer.id)
    for variant, quantity in items:
        with tenant_context(variant.tenant_id):
            add_line(cart, variant, quantity, nonce=None)
    checkout = start_checkout(token or secrets.token_urlsafe(24), cart=cart, user=customer)
    set_contact(checkout, email=CUSTOMER)
    set_addresses(checkout, shipping=DEMO_ADDRESS, billing=None)
    summary = review(checkout, cart)
    set_payment_method(checkout, method, offered=summary.methods)
    submit_checkout(
        checkout,
        cart=cart,
        reviewed=review(checkout, cart).fingerprint,
        success_url=external_url("pages.home"),
        cancel_url=external_url("cart.view"),
        referral=referral,
    )
    return checkout
