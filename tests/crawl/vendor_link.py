"""The vendor link: the vendor's page of one purchase order (signed token, no account).

Signed link only: a tampered, resent (old version) or unknown token, another shop's
PO on a shop's host and a cancelled PO answer 404; an expired one 410
(``tests/vendors/test_vendor_link.py``). The factories below are shared by the
vendor-link and drop-ship tests.
"""

from __future__ import annotations

import os
from datetime import timedelta
from uuid import uuid4

from mall.extensions import db

MALL_ROUTES = {"vendor_link.po", "vendor_link.po_pdf"}


def make_variant(*, price: int = 2500, stock: int = 10, title: str | None = None):
    """A new product's only variant (stocked), in the shop in context."""
    from mall.catalog import services as catalog
    from mall.catalog.models import StockReason
    from mall.catalog.stock import adjust_stock

    sku = f"DS-{uuid4().hex[:10]}"
    product = catalog.create_product(
        catalog.ProductInput(
            title=f"{title or 'Lamp'} {sku}", variants=[catalog.VariantInput(sku=sku, price=price)]
        )
    )
    variant = product.variants[0]
    if stock:
        adjust_stock(variant, stock, reason=StockReason.RECEIPT)
    return variant


def make_vendor(name: str = "Acme Supplies", *, email: str | None = ""):
    """An active vendor of the shop in context, with an email address (flushed): by default
    ``orders@<first word of the name>.example``; None for a vendor without one."""
    from vendors.models import Vendor

    vendor = Vendor(name=name)
    vendor.email = f"orders@{name.split()[0].lower()}.example" if email == "" else email
    vendor.contact_name = "Victor Vendor"
    db.session.add(vendor)
    db.session.flush()
    return vendor


def supply(vendor, variant, *, drop_ship: bool = True, pack_size: int = 1, **kw):
    """``vendor`` supplies ``variant`` (drop-ship by default), flushed."""
    from vendors.models import VendorProduct

    row = VendorProduct(
        vendor_id=vendor.id,
        variant_id=variant.id,
        vendor_sku=kw.pop("vendor_sku", f"V-{variant.sku}"),
        unit_cost=kw.pop("unit_cost", 900),
        pack_size=pack_size,
        drop_ship=drop_ship,
        **kw,
    )
    db.session.add(row)
    db.session.flush()
    return row


def place_lines_order(shop, items, *, email: str = "carol@example.com", address=None):
    """An order of ``shop`` for ``items`` ((variant, quantity) pairs), stock held, awaiting a
    bank transfer. Call in ``shop``'s context; flushed, not committed."""
    from mall.accounts.addresses import PostalAddress
    from mall.checkout.models import Checkout
    from mall.db import utcnow
    from mall.money import Party
    from mall.orders.services import Contact, create_order, hold_stock
    from mall.pricing.quote import PricedLine, QuoteLine, ShippingOption, ShopQuote

    priced = []
    for variant, quantity in items:
        subtotal = variant.price * quantity
        priced.append(
            PricedLine(
                line=QuoteLine(
                    variant_id=variant.id,
                    tenant_id=shop.id,
                    product_id=variant.product_id,
                    category_id=None,
                    title=variant.product.title,
                    tax_class="standard",
                    unit_price=variant.price,
                    quantity=quantity,
                ),
                subtotal=subtotal,
                discounts=[],
                tax=0,
                tax_rate_bp=0,
                tax_collector=Party.SHOP,
                tax_country="US",
                total=subtotal,
            )
        )
    part = ShopQuote(
        tenant_id=shop.id,
        lines=priced,
        shipping=ShippingOption(method_id=uuid4(), name="Parcel", kind="flat", price=500),
        shipping_amount=500,
        discounts=[],
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
        region="IL",
    )
    order = create_order(
        part,
        shop=shop,
        checkout_id=checkout.id,
        contact=Contact(email=email, shipping_address=address, billing_address=None),
        variants={variant.id: variant for variant, _quantity in items},
        payment_method="bank_transfer",
        currency="USD",
    )
    hold_stock(
        order,
        {variant.id: quantity for variant, quantity in items},
        until=utcnow() + timedelta(minutes=30),
    )
    return order
