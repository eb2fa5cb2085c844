"""The cart: variants from any shop, kept in the Flask session as ``{variant id: quantity}``.

Only ids and quantities are stored (no personal data, no prices: those are read
fresh on every view). A variant is accepted only while its product is
published and its shop active; lines that stop qualifying drop out of the cart
when it is next shown.

A line never holds more than can be sold: adding refuses a variant that is out of
stock, and showing the cart lowers a line to what is left (the line says so, once).

Adding is idempotent per rendered form: the product page puts a random
``nonce`` in the form and the cart remembers the last ``NONCES_KEPT`` nonces it
has seen (with the variant), so a double click or a re-submitted form adds once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from mall.catalog.models import Product, ProductImage, ProductStatus, Variant, option_label
from mall.catalog.search import first_images
from mall.extensions import db
from mall.numbers import NumberError, parse_whole
from mall.storefront.services import StockState, stock_state
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus

CART_KEY = "cart"
NONCES_KEY = "cart_nonces"
MAX_LINES = 50
MAX_QUANTITY = 99
NONCES_KEPT = 20
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")


class AddOutcome(StrEnum):
    ADDED = "added"
    DUPLICATE = "duplicate"  # the same form was submitted again: nothing changed
    FULL = "full"  # the cart already has MAX_LINES other lines
    OUT_OF_STOCK = "out_of_stock"  # none of it can be sold now: nothing changed


def parse_variant_id(raw: Any) -> UUID | None:
    """A variant id from a form, or None when it is not a UUID."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    try:
        return UUID(raw.strip())
    except ValueError:
        return None


def parse_quantity(raw: Any, *, allow_zero: bool = False) -> int | None:
    """A quantity from 1 (0 when ``allow_zero``) to ``MAX_QUANTITY``, or None."""
    if not isinstance(raw, str):
        return None
    try:
        return parse_whole(raw, minimum=0 if allow_zero else 1, maximum=MAX_QUANTITY)
    except NumberError:  # out of range, or not ASCII digits ("²" passed isdigit(), failed int())
        return None


def read_cart(session: MutableMapping[str, Any]) -> dict[str, int]:
    """The cart in the session (``{variant id hex: quantity}``), ignoring anything malformed."""
    raw = session.get(CART_KEY)
    if not isinstance(raw, dict):
        return {}
    cart: dict[str, int] = {}
    for key, quantity in raw.items():
        if (
            isinstance(key, str)
            and _HEX_ID.match(key)
            and isinstance(quantity, int)
            and not isinstance(quantity, bool)
            and 1 <= quantity <= MAX_QUANTITY
        ):
            cart[key] = quantity
        if len(cart) >= MAX_LINES:
            break
    return cart


def write_cart(session: MutableMapping[str, Any], cart: dict[str, int]) -> None:
    if cart:
        session[CART_KEY] = cart
    else:
        session.pop(CART_KEY, None)


def item_count(session: MutableMapping[str, Any]) -> int:
    """How many items the cart holds, all quantities added up (for the header; no query)."""
    return sum(read_cart(session).values())


def sellable(variant: Variant) -> int:
    """How many of ``variant`` one cart line may hold now (what is on hand, at most 99)."""
    if not variant.track_stock or variant.allow_backorder:
        return MAX_QUANTITY
    return max(0, min(MAX_QUANTITY, variant.stock_quantity))


@dataclass
class Found:
    """Variants found by id (with product and shop), and the first image of their products."""

    variants: dict[UUID, Variant] = field(default_factory=dict)
    thumbnails: dict[UUID, ProductImage] = field(default_factory=dict)  # by product id


def buyable_variants(ids: Iterable[UUID], *, thumbnails: bool = False) -> Found:
    """Variants among ``ids`` of published products of active shops, with product and shop.

    One query across every shop (a cart mixes shops), and one more for the first image
    of each of their products when ``thumbnails`` is asked for.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return Found()
    with all_tenants("cart: variants the visitor chose, from any shop, and their pictures"):
        rows = db.session.scalars(
            sa.select(Variant)
            .join(Variant.product)
            .join(Product.shop)
            .where(
                Variant.id.in_(wanted),
                Product.status == ProductStatus.PUBLISHED,
                Tenant.status == TenantStatus.ACTIVE,
            )
            .options(contains_eager(Variant.product).contains_eager(Product.shop))
        ).unique()
        variants = {variant.id: variant for variant in rows}
        images = first_images({v.product for v in variants.values()}) if thumbnails else {}
    return Found(variants, images)


def add_line(
    session: MutableMapping[str, Any], variant: Variant, quantity: int, *, nonce: str | None
) -> AddOutcome:
    """Add ``quantity`` of ``variant`` (merged with a line already there, capped at 99).

    A variant that cannot be sold now is refused (``OUT_OF_STOCK``); a line above what is
    on hand is lowered when the cart is shown (``cart_contents``), which says so on the line.
    """
    token = None
    if isinstance(nonce, str) and _NONCE.match(nonce):
        token = f"{nonce}:{variant.id.hex[-12:]}"
        seen = session.get(NONCES_KEY)
        if isinstance(seen, list) and token in seen:
            return AddOutcome.DUPLICATE
    if sellable(variant) == 0:
        return AddOutcome.OUT_OF_STOCK
    cart = read_cart(session)
    key = variant.id.hex
    if key not in cart and len(cart) >= MAX_LINES:
        return AddOutcome.FULL
    cart[key] = min(MAX_QUANTITY, cart.get(key, 0) + quantity)
    write_cart(session, cart)
    if token is not None:
        seen = session.get(NONCES_KEY)
        seen = [t for t in seen if isinstance(t, str)] if isinstance(seen, list) else []
        session[NONCES_KEY] = [*seen, token][-NONCES_KEPT:]
    return AddOutcome.ADDED


def set_quantity(session: MutableMapping[str, Any], variant_id: UUID, quantity: int) -> bool:
    """Change a line's quantity (0 removes it); False when the line is not in the cart."""
    cart = read_cart(session)
    key = variant_id.hex
    if key not in cart:
        return False
    if quantity <= 0:
        del cart[key]
    else:
        cart[key] = min(quantity, MAX_QUANTITY)
    write_cart(session, cart)
    return True


# ---------------------------------------------------------------- showing the cart


@dataclass
class CartLine:
    variant: Variant
    quantity: int
    options: str
    thumbnail: ProductImage | None = None
    asked: int | None = None  # the quantity asked for, when it was lowered to what is left

    @property
    def product(self) -> Product:
        return self.variant.product

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
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)


@dataclass
class CartContents:
    shops: list[ShopLines]
    dropped: int = 0  # lines removed because their product or shop is no longer on sale
    sold_out: list[str] = field(default_factory=list)  # lines removed: none left ("Mug (Size: S)")

    @property
    def total(self) -> int:
        return sum(group.subtotal for group in self.shops)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for group in self.shops for line in group.lines)

    @property
    def is_empty(self) -> bool:
        return not self.shops


def cart_contents(session: MutableMapping[str, Any]) -> CartContents:
    """The cart's lines grouped by shop, each with its product's first picture (two queries).

    Lines no longer on sale are dropped, and so are lines sold out since they were added;
    a line holding more than is left is lowered to what is left and says so (``asked``).
    """
    cart = read_cart(session)
    found = buyable_variants((UUID(hex=key) for key in cart), thumbnails=True)
    groups: dict[UUID, ShopLines] = {}
    kept: dict[str, int] = {}
    gone = 0
    sold_out: list[str] = []
    for key, quantity in cart.items():
        variant = found.variants.get(UUID(hex=key))
        if variant is None:
            gone += 1
            continue
        title, options = variant.product.title, option_label(variant, variant.product)
        most = sellable(variant)
        if most == 0:
            sold_out.append(f"{title} ({options})" if options else title)
            continue
        kept[key] = min(quantity, most)
        line = CartLine(variant, kept[key], options, found.thumbnails.get(variant.product_id))
        line.asked = quantity if quantity > most else None
        shop = variant.product.shop
        groups.setdefault(shop.id, ShopLines(shop)).lines.append(line)
    if kept != (session.get(CART_KEY) or {}):
        write_cart(session, kept)
    shops = sorted(groups.values(), key=lambda g: g.shop.name.lower())
    for group in shops:
        group.lines.sort(key=lambda line: (line.product.title.lower(), line.variant.position))
    return CartContents(shops=shops, dropped=gone, sold_out=sold_out)
