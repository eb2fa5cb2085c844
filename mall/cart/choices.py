"""What the customer chooses on the cart page: ship-to country, shipping per shop, coupons.

The cart stores the choices only; whether a method fits or a code applies is the
quote's to say (``mall.pricing``, ``mall.coupons``), and the cart page shows why not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from uuid import UUID

from mall.cart.contents import CartError
from mall.cart.models import Cart
from mall.countries import is_country
from mall.extensions import db
from mall.pricing.services import get_method
from tenants.context import tenant_context

MAX_COUPONS = 5
_COUPON = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")


def set_country(cart: Cart, country: str | None) -> None:
    """Where the cart ships to (an ISO 3166-1 alpha-2 code; None or "" forgets it)."""
    code = (country or "").strip().upper() or None
    if code is not None and not is_country(code):
        raise CartError("Choose a country from the list.")
    if cart.country != code:
        cart.country = code
        cart.touch()
    db.session.flush()


def set_shipping_choice(cart: Cart, tenant_id: UUID, method_id: UUID) -> None:
    """Choose how one shop's part of the cart is shipped (one of the quote's options)."""
    if all(line.tenant_id != tenant_id for line in cart.lines):
        raise CartError("That shop has nothing in your cart.")
    with tenant_context(tenant_id):
        method = get_method(method_id)
        if method is None or not method.active:
            raise CartError("That shop does not offer this shipping method: choose another.")
        if cart.country and method.countries and cart.country not in method.countries:
            raise CartError("That shipping method does not go to your country: choose another.")
    chosen = {
        key: value for key, value in (cart.shipping_choice or {}).items() if key != tenant_id.hex
    }
    chosen[tenant_id.hex] = method_id.hex
    if chosen != cart.shipping_choice:
        cart.shipping_choice = chosen
        cart.touch()
    db.session.flush()


def normalise_codes(text: str | Iterable[str]) -> list[str]:
    """Coupon codes typed by a customer (commas or spaces between), upper-cased, once each."""
    raw = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    codes = [code.strip().upper() for code in raw if code and code.strip()]
    return list(dict.fromkeys(codes))


def set_coupon_codes(cart: Cart, codes: str | Iterable[str]) -> list[str]:
    """Replace the cart's coupon codes (at most 5); returns them. Whether they apply is
    for the quote to say (``mall.coupons`` finds them, the cart page shows why not)."""
    wanted = normalise_codes(codes)
    if len(wanted) > MAX_COUPONS:
        raise CartError(f"Use at most {MAX_COUPONS} coupon codes.")
    bad = [code for code in wanted if not _COUPON.match(code)]
    if bad:
        raise CartError("A coupon code has letters, digits, dashes and underscores only.")
    if wanted != list(cart.coupon_codes or []):
        cart.coupon_codes = wanted
        cart.touch()
    db.session.flush()
    return wanted
