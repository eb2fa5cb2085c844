"""The cart's services: find or start the visitor's cart, add and change lines, merge a
guest cart into the account's at sign-in, and the expiry of idle carts (the ship-to
country, shipping choice and coupon codes are in ``choices``).

A guest's browser holds a random token in the Flask session; the database keeps only
its SHA-256 (``carts.token_digest``), like device sessions. A signed-in customer's cart
is found by the account (``carts.user_id``), so every device shows the same cart. The
session also keeps the number of items, for the header's badge without a query.

Adding is idempotent per rendered form: the product page puts a random ``nonce`` in
the form and the cart keeps the last ``NONCES_KEPT`` it has seen (with the variant),
so a double click or a re-sent form adds once. Changes lock the cart's row first
(PostgreSQL), so two requests of one cart take turns.

Like every service, these flush and never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, MutableMapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import current_app, session
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from mall.accounts.auth import CART_TOKEN_KEY
from mall.accounts.models import User
from mall.cart.choices import MAX_COUPONS
from mall.cart.contents import (
    MAX_LINES,
    MAX_QUANTITY,
    CartContents,
    CartError,
    ContentLine,
    Found,
    ShopLines,
    cart_contents,
    find_variants,
    is_on_sale,
    priced_cart,
    quote_lines,
    sellable,
    shipping_choice,
)
from mall.cart.models import Cart, CartLine
from mall.catalog.models import Variant
from mall.db import utcnow
from mall.extensions import db
from mall.numbers import NumberError, parse_whole

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "AddOutcome",
    "Cart",
    "CartContents",
    "CartError",
    "CartLine",
    "ContentLine",
    "Found",
    "ShopLines",
    "add_line",
    "cart_contents",
    "clear_lines",
    "current_cart",
    "expire_idle_carts",
    "find_cart",
    "find_variants",
    "merge_guest_cart",
    "priced_cart",
    "quote_lines",
    "sellable",
    "set_quantity",
    "shipping_choice",
]

TOKEN_KEY = CART_TOKEN_KEY  # the Flask session's key for a guest cart's token
COUNT_KEY = "cart_items"  # and for the number of items (the header's badge)
SESSION_KEYS = (TOKEN_KEY, COUNT_KEY)
NONCES_KEPT = 20
DEFAULT_IDLE_DAYS = 30
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class AddOutcome(StrEnum):
    ADDED = "added"
    DUPLICATE = "duplicate"  # the same form was submitted again: nothing changed
    FULL = "full"  # the cart already has MAX_LINES other lines
    OUT_OF_STOCK = "out_of_stock"  # none of it can be sold now: nothing changed


# ---------------------------------------------------------------- input


def parse_id(raw: Any) -> UUID | None:
    """An id (variant, shop, shipping method) from a form, or None when it is not a UUID."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    try:
        return UUID(raw.strip())
    except ValueError:
        return None


parse_variant_id = parse_id


def parse_quantity(raw: Any, *, allow_zero: bool = False) -> int | None:
    """A quantity from 1 (0 when ``allow_zero``) to ``MAX_QUANTITY``, or None."""
    if not isinstance(raw, str):
        return None
    try:
        return parse_whole(raw, minimum=0 if allow_zero else 1, maximum=MAX_QUANTITY)
    except NumberError:  # out of range, or not ASCII digits ("²" passed isdigit(), failed int())
        return None


# ---------------------------------------------------------------- finding the cart


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def find_cart(token: str | None, user_id: UUID | None) -> Cart | None:
    """The account's cart when ``user_id`` is given, else the guest cart of ``token``."""
    if user_id is not None:
        return db.session.scalar(sa.select(Cart).where(Cart.user_id == user_id))
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    return db.session.scalar(sa.select(Cart).where(Cart.token_digest == _digest(token)))


def _signed_in_id() -> UUID | None:
    return current_user.id if current_user.is_authenticated else None


def current_cart(*, create: bool) -> Cart | None:
    """The visitor's cart: the signed-in customer's, else the guest cart whose token the
    Flask session holds. With ``create``, one is started when there is none."""
    user_id = _signed_in_id()
    token = session.get(TOKEN_KEY) if user_id is None else None
    cart = find_cart(token, user_id)
    if cart is not None or not create:
        return cart
    if user_id is not None:
        return account_cart(user_id)
    token = secrets.token_urlsafe(32)
    cart = Cart(token_digest=_digest(token))
    db.session.add(cart)
    db.session.flush()
    session[TOKEN_KEY] = token
    return cart


def account_cart(user_id: UUID) -> Cart:
    """The account's cart, started if it has none (two devices may race: one row wins)."""
    cart = db.session.scalar(sa.select(Cart).where(Cart.user_id == user_id))
    if cart is not None:
        return cart
    try:
        with db.session.begin_nested():
            cart = Cart(user_id=user_id)
            db.session.add(cart)
    except IntegrityError:
        cart = db.session.scalars(sa.select(Cart).where(Cart.user_id == user_id)).one()
    return cart


def remember_count(count: int, store: MutableMapping[str, Any] | None = None) -> None:
    """Keep the cart's number of items in the Flask session, for the header's badge."""
    store = session if store is None else store
    if count > 0:
        store[COUNT_KEY] = count
    else:
        store.pop(COUNT_KEY, None)


def item_count(store: MutableMapping[str, Any] | None = None) -> int:
    """The header's number of items (no query: the session keeps it)."""
    store = session if store is None else store
    count = store.get(COUNT_KEY)
    if isinstance(count, int) and not isinstance(count, bool) and 0 < count <= 10**6:
        return count
    return 0


def line_count(cart: Cart) -> int:
    """Every item in the cart, quantities added up (as stored)."""
    return sum(line.quantity for line in cart.lines)


def _lock(cart: Cart) -> None:
    """Reload the cart's row locked (PostgreSQL): changes to one cart take turns."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(cart, with_for_update=True)


# ---------------------------------------------------------------- changing lines


def _line(cart: Cart, variant_id: UUID) -> CartLine | None:
    return next((line for line in cart.lines if line.variant_id == variant_id), None)


def add_line(cart: Cart, variant: Variant, quantity: int, *, nonce: str | None) -> AddOutcome:
    """Add ``quantity`` of ``variant`` (merged with a line already there, capped at 99).

    A variant that cannot be sold now is refused (``OUT_OF_STOCK``); a line above what
    is on hand is lowered when the cart is shown (``cart_contents``), which says so.
    The form's ``nonce`` makes a second submission of the same form a ``DUPLICATE``.
    """
    _lock(cart)
    seen = [n for n in (cart.add_nonces or []) if isinstance(n, str)]
    mark = None
    if isinstance(nonce, str) and _NONCE.match(nonce):
        mark = f"{nonce}:{variant.id.hex[-12:]}"
        if mark in seen:
            return AddOutcome.DUPLICATE
    if sellable(variant) == 0 or not is_on_sale(variant):
        return AddOutcome.OUT_OF_STOCK
    line = _line(cart, variant.id)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            return AddOutcome.FULL
        cart.lines.append(
            CartLine(
                tenant_id=variant.tenant_id,
                variant_id=variant.id,
                quantity=min(MAX_QUANTITY, quantity),
                seen_unit_price=variant.price,
            )
        )
    else:
        line.quantity = min(MAX_QUANTITY, line.quantity + quantity)
        line.seen_unit_price = variant.price  # the customer just saw it on the product page
    if mark is not None:
        cart.add_nonces = [*seen, mark][-NONCES_KEPT:]
    cart.touch()
    db.session.flush()
    return AddOutcome.ADDED


def set_quantity(cart: Cart, variant_id: UUID, quantity: int) -> bool:
    """Change a line's quantity (0 removes it); False when the line is not in the cart.

    Setting the same quantity twice changes nothing the second time.
    """
    if not 0 <= quantity <= MAX_QUANTITY:
        raise CartError(f"Choose a quantity from 0 to {MAX_QUANTITY}.")
    _lock(cart)
    line = _line(cart, variant_id)
    if line is None:
        return False
    if quantity == 0:
        cart.lines.remove(line)
    else:
        line.quantity = quantity
    cart.touch()
    db.session.flush()
    return True


def clear_lines(cart: Cart, variant_ids: Iterable[UUID]) -> int:
    """Take these variants out of the cart (checkout removes what was ordered); how many."""
    wanted = set(variant_ids)
    gone = [line for line in cart.lines if line.variant_id in wanted]
    for line in gone:
        cart.lines.remove(line)
    if gone:
        cart.touch()
    db.session.flush()
    return len(gone)


def merge_guest_cart(guest: Cart | None, *, into_user: User) -> Cart | None:
    """At sign-in: the guest cart's lines join the account's cart and the guest cart goes.

    Quantities of a variant in both are added, capped by what can be sold now; the
    account keeps its country unless it had none, coupon codes are joined (at most 5),
    the guest's shipping choices win (they are the newest). An account without a cart
    takes the guest cart over as it is. Returns the account's cart (None: neither has one).
    """
    if guest is None or guest.user_id is not None:
        return find_cart(None, into_user.id)
    account = find_cart(None, into_user.id)
    if account is None:
        guest.user_id = into_user.id
        guest.token_digest = None
        guest.touch()
        db.session.flush()
        return guest
    _lock(account)
    found = find_variants(line.variant_id for line in guest.lines)
    for line in guest.lines:
        mine = _line(account, line.variant_id)
        variant = found.variants.get(line.variant_id)
        cap = sellable(variant) if variant is not None else MAX_QUANTITY
        if mine is not None:
            mine.quantity = max(mine.quantity, min(cap, mine.quantity + line.quantity))
            mine.seen_unit_price = line.seen_unit_price
        elif len(account.lines) < MAX_LINES:
            account.lines.append(
                CartLine(
                    tenant_id=line.tenant_id,
                    variant_id=line.variant_id,
                    quantity=max(1, min(cap, line.quantity)),
                    seen_unit_price=line.seen_unit_price,
                    added_at=line.added_at,
                )
            )
    account.country = account.country or guest.country
    account.coupon_codes = list(dict.fromkeys([*account.coupon_codes, *guest.coupon_codes]))[
        :MAX_COUPONS
    ]
    account.shipping_choice = {**(account.shipping_choice or {}), **(guest.shipping_choice or {})}
    account.add_nonces = [*(account.add_nonces or []), *(guest.add_nonces or [])][-NONCES_KEPT:]
    account.touch()
    db.session.delete(guest)
    db.session.flush()
    return account


def signed_in(user: User, *, cart_token: str | None) -> Cart | None:
    """``user_signed_in``: the browser's guest cart joins the account's cart, and the
    session (renewed: no token now, the account's cart is found by user id) counts it."""
    cart = merge_guest_cart(find_cart(cart_token, None), into_user=user)
    session.pop(TOKEN_KEY, None)
    remember_count(line_count(cart) if cart is not None else 0)
    return cart


# ---------------------------------------------------------------- expiry


def idle_days() -> int:
    """How long a cart lives unused (``CART_IDLE_DAYS``, default 30)."""
    value = current_app.config.get("CART_IDLE_DAYS", DEFAULT_IDLE_DAYS)
    return max(1, int(value))


def expire_idle_carts(*, now: datetime | None = None) -> int:
    """Delete carts (guests' and accounts') unused for ``CART_IDLE_DAYS``; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=idle_days())
    idle = sa.select(Cart.id).where(Cart.updated_at < cutoff)
    # Lines first: SQLite enforces the cascade only with its foreign keys on.
    db.session.execute(
        sa.delete(CartLine).where(CartLine.cart_id.in_(idle)),
        execution_options={"synchronize_session": False},
    )
    result = db.session.execute(
        sa.delete(Cart).where(Cart.updated_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
