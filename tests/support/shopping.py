"""Shops with stock and shipping, and a customer who checks out through the pages.

Used by the checkout tests, the browser journeys and the bench driver's tests:
everything goes through the public interface (services to set a shop up, HTTP
to shop), so a test reads like what a shop owner and a customer do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID, uuid4

from mall.catalog.models import ProductStatus, StockReason
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.catalog.stock import adjust_stock
from mall.extensions import db
from mall.payments.services import shop_settings, update_shop_settings
from mall.pricing.models import ShippingKind, ShippingMethod
from tenants.context import tenant_context
from tenants.models import Tenant

ADDRESS = {
    "ship-name": "Ada Lovelace",
    "ship-line1": "12 Marylebone Road",
    "ship-city": "London",
    "ship-postal_code": "NW1 5LR",
    "ship-country": "GB",
    "billing_same": "y",
}


@dataclass
class Stocked:
    shop: Tenant
    variant_id: UUID
    product_id: UUID
    method_id: UUID | None
    shop_id: UUID | None = None  # readable after the session that made the shop ended


def stock_shop(
    shop: Tenant,
    *,
    price: int = 1000,
    quantity: int = 5,
    shipping: int | None = 500,
    title: str | None = None,
    track_stock: bool = True,
) -> Stocked:
    """A published product of ``shop`` with ``quantity`` on hand, and a flat shipping rate."""
    token = uuid4().hex[:8]
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=title or f"Thing {token}",
                slug=f"thing-{token}",
                status=ProductStatus.PUBLISHED,
                variants=[VariantInput(sku=f"SKU-{token}", price=price, track_stock=track_stock)],
            )
        )
        variant = product.variants[0]
        if quantity:
            adjust_stock(variant, quantity, reason=StockReason.RECEIPT)
        method_id = None
        if shipping is not None:
            method = ShippingMethod(name="Standard", kind=ShippingKind.FLAT, price=shipping)
            db.session.add(method)
            db.session.flush()
            method_id = method.id
        stocked = Stocked(shop, variant.id, product.id, method_id, shop.id)
    db.session.commit()
    return stocked


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return found.group(1) if found else ""


def reviewed_of(html: str) -> str:
    found = re.search(r'name="reviewed"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="reviewed"', html
    )
    return found.group(1) if found else ""


def add_to_cart(client, variant_id: UUID, quantity: int = 1):
    return client.post("/cart/add", data={"variant_id": str(variant_id), "quantity": str(quantity)})


def fill_checkout(
    client,
    *,
    email: str = "ada@example.com",
    address: dict | None = None,
    method: str = "test",
    shipping: dict[UUID, UUID] | None = None,
) -> str:
    """Go through contact, address, shipping and payment (CSRF off); the review page's html."""
    assert client.post("/checkout/contact", data={"email": email}).status_code == 303
    response = client.post("/checkout/address", data=address or ADDRESS)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/checkout/shipping").get_data(as_text=True)
    choice = {f"shipping-{shop.hex}": method_id.hex for shop, method_id in (shipping or {}).items()}
    if not choice:  # the first option of every shop
        for name, value in re.findall(
            r'name="(shipping-[0-9a-f]{32})"[^>]*value="([0-9a-f]{32})"', page
        ):
            choice.setdefault(name, value)
    response = client.post("/checkout/shipping", data=choice)
    assert response.status_code == 303, response.get_data(as_text=True)
    response = client.post("/checkout/payment", data={"method": method})
    assert response.status_code == 303, response.get_data(as_text=True)
    review = client.get("/checkout/review")
    assert review.status_code == 200, review.headers.get("Location")
    return review.get_data(as_text=True)


def place(client, review_html: str, **card: str):
    data = {"reviewed": reviewed_of(review_html), **card}
    return client.post("/checkout/place", data=data)


def accept_manual_payments(shop: Tenant, *, bank: bool = True, card: bool = False) -> None:
    """The shop takes bank transfers (with instructions) and/or offline cards."""
    with tenant_context(shop):
        update_shop_settings(
            shop_settings(),
            bank_transfer_enabled=bank,
            bank_instructions="IBAN GB00 TEST 0000 0000 0000 00, quoting the order number."
            if bank
            else "",
            offline_card_enabled=card,
        )
    db.session.commit()
