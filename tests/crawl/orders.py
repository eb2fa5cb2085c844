"""Orders: the shop's order list, order page and order actions (back office)."""

from __future__ import annotations

import os
from datetime import timedelta
from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "orders_admin.orders",
    "orders_admin.order",
    "orders_admin.mark_paid",
    "orders_admin.cancel",
    "orders_admin.mark_delivered",
    "orders_admin.orders_csv",
    "orders_admin.find_customer",
}


def place_order(
    shop,
    *,
    variant=None,
    quantity: int = 2,
    unit_price: int = 1250,
    payment_method: str = "bank_transfer",
    email: str = "carol@example.com",
    address=None,
    hold: bool = True,
):
    """An order of ``shop`` for ``quantity`` of ``variant`` (a new product's when None), built
    through the order services from a hand-made quote; stock held. Call in ``shop``'s context;
    returns the order (flushed, not committed)."""
    from mall.accounts.addresses import PostalAddress
    from mall.catalog import services as catalog
    from mall.catalog.models import StockReason
    from mall.catalog.stock import adjust_stock
    from mall.checkout.models import Checkout
    from mall.db import utcnow
    from mall.money import Party
    from mall.orders.services import Contact, create_order, hold_stock
    from mall.pricing.quote import (
        AppliedDiscount,
        LineDiscount,
        PricedLine,
        QuoteLine,
        ShippingOption,
        ShopQuote,
    )

    if variant is None:
        sku = f"ORD-{uuid4().hex[:10]}"
        product = catalog.create_product(
            catalog.ProductInput(
                title=f"Teapot {sku}",
                variants=[catalog.VariantInput(sku=sku, price=unit_price)],
            )
        )
        variant = product.variants[0]
        adjust_stock(variant, 10, reason=StockReason.RECEIPT)
    subtotal = unit_price * quantity
    discount = LineDiscount(code="WELCOME", funded_by=Party.SHOP, amount=100)
    tax = (subtotal - discount.amount) * 1000 // 10_000
    line = PricedLine(
        line=QuoteLine(
            variant_id=variant.id,
            tenant_id=shop.id,
            product_id=variant.product_id,
            category_id=None,
            title=variant.product.title,
            tax_class="standard",
            unit_price=unit_price,
            quantity=quantity,
        ),
        subtotal=subtotal,
        discounts=[discount],
        tax=tax,
        tax_rate_bp=1000,
        tax_collector=Party.SHOP,
        tax_country="US",
        total=subtotal - discount.amount + tax,
    )
    part = ShopQuote(
        tenant_id=shop.id,
        lines=[line],
        shipping=ShippingOption(method_id=uuid4(), name="Parcel", kind="flat", price=500),
        shipping_amount=500,
        discounts=[AppliedDiscount(code="WELCOME", funded_by=Party.SHOP, amount=100)],
    )
    checkout = Checkout(token_digest=os.urandom(32), currency="USD")
    db.session.add(checkout)
    db.session.flush()
    address = address or PostalAddress(
        name="Carol Customer",
        line1="12 Elm Street",
        city="Springfield",
        postal_code="62701",
        country="US",
    )
    order = create_order(
        part,
        shop=shop,
        checkout_id=checkout.id,
        contact=Contact(email=email, shipping_address=address, billing_address=None),
        variants={variant.id: variant},
        payment_method=payment_method,
        currency="USD",
    )
    if hold:
        hold_stock(order, {variant.id: quantity}, until=utcnow() + timedelta(minutes=30))
    return order


def make_order(shop):
    """An order of ``shop`` awaiting a bank transfer; returns its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        order_id = place_order(shop).id
        db.session.commit()
    return order_id


OBJECT_IDS = {"order_id": make_order}
