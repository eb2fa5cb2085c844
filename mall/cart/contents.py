"""What a cart holds, checked against the catalog each time it is shown, and its quote.

Lines name variants of any shop; every view reads them fresh (one query for the
lines, one for their variants with product and shop across shops, one for the
first pictures) and says what changed since the customer last looked, once:

- a variant gone, a product no longer published, or a shop not open: the line leaves;
- sold out: the line leaves; fewer left than the line holds: the line is lowered and
  says so (``asked``);
- a new price: "The price of X changed from $A to $B", and the line remembers the new one.

Those changes are written (flushed) as they are found, so the message is said once and
nothing is changed silently later, at payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from mall.cart.models import Cart, CartLine
from mall.catalog.models import (
    Product,
    ProductImage,
    ProductKind,
    ProductStatus,
    Variant,
    option_label,
)
from mall.catalog.search import first_images
from mall.coupons.services import find_coupons
from mall.db import utcnow
from mall.extensions import db
from mall.money import format_money
from mall.pricing.quote import Destination, MallQuote, QuoteLine, quote
from mall.storefront.services import StockState, stock_state
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus

MAX_LINES = 50
MAX_QUANTITY = 99


class CartError(ValueError):
    """A cart change that cannot be made; the message is for the customer."""


def sellable(variant: Variant) -> int:
    """How many of ``variant`` one cart line may hold now (what is on hand, at most 99)."""
    if not variant.track_stock or variant.allow_backorder:
        return MAX_QUANTITY
    return max(0, min(MAX_QUANTITY, variant.stock_quantity))


def is_on_sale(variant: Variant) -> bool:
    """True while the variant's product is published and its shop open."""
    return (
        variant.product.status == ProductStatus.PUBLISHED
        and variant.product.shop.status == TenantStatus.ACTIVE
    )


@dataclass
class Found:
    """Variants found by id (with product and shop), and the first image of their products."""

    variants: dict[UUID, Variant] = field(default_factory=dict)
    thumbnails: dict[UUID, ProductImage] = field(default_factory=dict)  # by product id


def find_variants(
    ids: Iterable[UUID], *, on_sale_only: bool = False, thumbnails: bool = False
) -> Found:
    """Variants among ``ids`` (with product and shop) from any shop, in one query, and the
    first picture of each of their products (one more) when ``thumbnails`` is asked for.

    ``on_sale_only``: only variants of published products of active shops (adding);
    without it the caller tells the customer why a line can no longer be bought.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return Found()
    statement = (
        sa.select(Variant)
        .join(Variant.product)
        .join(Product.shop)
        .where(Variant.id.in_(wanted))
        .options(contains_eager(Variant.product).contains_eager(Product.shop))
    )
    if on_sale_only:
        statement = statement.where(
            Product.status == ProductStatus.PUBLISHED, Tenant.status == TenantStatus.ACTIVE
        )
    with all_tenants("cart: variants the visitor chose, from any shop, and their pictures"):
        variants = {variant.id: variant for variant in db.session.scalars(statement).unique()}
        on_sale = {v.product for v in variants.values() if is_on_sale(v)}
        images = first_images(on_sale) if thumbnails else {}
    return Found(variants, images)


def line_name(variant: Variant) -> str:
    """``Mug (Size: S)``: how a message names a line."""
    options = option_label(variant, variant.product)
    return f"{variant.product.title} ({options})" if options else variant.product.title


@dataclass
class ContentLine:
    """One line as the cart page shows it."""

    variant: Variant
    quantity: int
    options: str
    thumbnail: ProductImage | None = None
    asked: int | None = None  # the quantity asked for, when it was lowered to what is left

    @property
    def product(self) -> Product:
        return self.variant.product

    @property
    def name(self) -> str:
        return f"{self.product.title} ({self.options})" if self.options else self.product.title

    @property
    def unit_price(self) -> int:
        return self.variant.price

    @property
    def total(self) -> int:
        return self.variant.price * self.quantity

    @property
    def stock(self) -> StockState:
        return stock_state(self.variant)

    @property
    def most(self) -> int:
        """The most this line may hold now."""
        return sellable(self.variant)


@dataclass
class ShopLines:
    shop: Tenant
    lines: list[ContentLine] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)


@dataclass
class CartContents:
    """A cart's lines grouped by shop (shops by name), and what changed since last shown."""

    shops: list[ShopLines]
    messages: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.subtotal for group in self.shops)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for group in self.shops for line in group.lines)

    @property
    def is_empty(self) -> bool:
        return not self.shops

    @property
    def lines(self) -> list[ContentLine]:
        return [line for group in self.shops for line in group.lines]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def cart_contents(cart: Cart, *, thumbnails: bool = True) -> CartContents:
    """The cart's lines grouped by shop, re-checked against the catalog (three queries).

    Lines that can no longer be bought leave, lines above what is left are lowered,
    new prices are remembered; each change comes with a message, said once (the
    changes are flushed).
    """
    stored = list(cart.lines)
    found = find_variants((line.variant_id for line in stored), thumbnails=thumbnails)
    kept: list[tuple[CartLine, Variant]] = []
    gone: list[str] = []
    closed: dict[str, list[str]] = {}
    unpublished: list[str] = []
    sold_out: list[str] = []
    repriced: list[str] = []
    for line in stored:
        variant = found.variants.get(line.variant_id)
        if variant is None:
            gone.append("")
        elif variant.product.shop.status != TenantStatus.ACTIVE:
            closed.setdefault(variant.product.shop.name, []).append(line_name(variant))
        elif variant.product.status != ProductStatus.PUBLISHED:
            unpublished.append(line_name(variant))
        elif sellable(variant) == 0:
            sold_out.append(line_name(variant))
        else:
            kept.append((line, variant))
            continue
        cart.lines.remove(line)  # delete-orphan: the line goes at the next flush
    groups: dict[UUID, ShopLines] = {}
    for line, variant in kept:
        most = sellable(variant)
        shown = ContentLine(
            variant,
            min(line.quantity, most),
            option_label(variant, variant.product),
            found.thumbnails.get(variant.product_id),
        )
        if line.quantity > most:
            shown.asked = line.quantity
            line.quantity = most
        if line.seen_unit_price != variant.price:
            was, now = format_money(line.seen_unit_price), format_money(variant.price)
            repriced.append(f"The price of “{shown.name}” changed from {was} to {now}.")
            line.seen_unit_price = variant.price
        groups.setdefault(variant.product.shop.id, ShopLines(variant.product.shop)).lines.append(
            shown
        )
    messages = []
    if gone:
        messages.append("Some items are no longer available and were taken out of your cart.")
    for shop, names in closed.items():
        messages.append(f"{shop} is not taking orders now, so {_quoted(names)} left your cart.")
    if unpublished:
        messages.append(f"No longer on sale, so taken out of your cart: {_quoted(unpublished)}.")
    if sold_out:
        messages.append(f"Sold out, so taken out of your cart: {_quoted(sold_out)}.")
    messages.extend(repriced)
    if db.session.is_modified(cart) or len(kept) != len(stored) or repriced:
        cart.touch()
    db.session.flush()
    shops = sorted(groups.values(), key=lambda g: g.shop.name.lower())
    for group in shops:
        group.lines.sort(key=lambda line: (line.product.title.lower(), line.variant.position))
    return CartContents(shops=shops, messages=messages)


def quote_lines(contents: CartContents) -> list[QuoteLine]:
    """The quote's input: each line as it is now, shop by shop in the cart's order."""
    return [
        QuoteLine(
            variant_id=line.variant.id,
            tenant_id=line.variant.tenant_id,
            product_id=line.product.id,
            category_id=line.product.category_id,
            title=line.name,
            tax_class=line.product.tax_class,
            unit_price=line.variant.price,
            quantity=line.quantity,
            weight_grams=line.product.weight_grams or 0,
            requires_shipping=line.product.kind != ProductKind.DIGITAL,
        )
        for line in contents.lines
    ]


def shipping_choice(cart: Cart) -> dict[UUID, UUID]:
    """The cart's shipping choice as ids (anything malformed is ignored)."""
    chosen: dict[UUID, UUID] = {}
    for tenant, method in (cart.shipping_choice or {}).items():
        try:
            chosen[UUID(hex=str(tenant))] = UUID(hex=str(method))
        except ValueError:
            continue
    return chosen


def priced_cart(
    cart: Cart,
    *,
    country: str | None = None,
    shipping: Mapping[UUID, UUID] | None = None,
    user_id: UUID | None = None,
    email_index: bytes | None = None,
    thumbnails: bool = True,
    now: datetime | None = None,
) -> tuple[CartContents, MallQuote]:
    """The cart's contents (re-checked) and their quote with the cart's coupon codes.

    Destination and shipping choice are the cart's unless given (the checkout gives
    its own, and the customer's email for per-customer coupon limits). A code that
    cannot be used says why, first among the quote's messages.
    """
    now = now or utcnow()
    contents = cart_contents(cart, thumbnails=thumbnails)
    lines = quote_lines(contents)
    rules, refused = find_coupons(
        list(cart.coupon_codes or []),
        tenant_ids={line.tenant_id for line in lines},
        user_id=user_id or cart.user_id,
        email_index=email_index,
        now=now,
    )
    country = country or cart.country
    priced = quote(
        lines,
        destination=Destination(country) if country else None,
        shipping_choice=shipping if shipping is not None else shipping_choice(cart),
        coupons=rules,
        now=now,
    )
    priced.messages[:0] = refused
    return contents, priced
