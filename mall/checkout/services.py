"""Checkout steps: contact, address, shipping per shop, payment method; and the priced review.

The checkout row keeps what the customer entered (sealed under the platform's
key) until submission (``submission.py``); nothing is reserved and no order
exists before then. The browser holds only a random token whose digest finds
the row, so the same checkout continues across the steps, a sign-in and a
reload.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.address_book import MAX_ADDRESSES
from mall.accounts.addresses import PostalAddress
from mall.accounts.models import SavedAddress, User
from mall.cart.models import Cart
from mall.cart.services import CartContents, priced_cart
from mall.checkout.errors import CheckoutError
from mall.checkout.models import Checkout, CheckoutStatus
from mall.countries import country_name
from mall.extensions import db
from mall.money import currency
from mall.payments.services import PaymentMethod, available_methods
from mall.pricing.quote import MallQuote
from tenants.keys import EncryptedField
from tenants.models import Tenant

__all__ = ["CheckoutError"]


def new_token() -> str:
    """A random checkout token for the browser (only its digest is stored)."""
    return secrets.token_urlsafe(24)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def find_checkout(token: str | None) -> Checkout | None:
    """The checkout of a browser token, or None (unknown, malformed)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        return None
    return db.session.scalar(
        sa.select(Checkout).where(Checkout.token_digest == token_digest(token))
    )


def start_checkout(
    token: str, *, cart: Cart, user: User | None, found: Checkout | None = None
) -> Checkout:
    """The open checkout of ``token`` (``found`` when the caller has it), created on first use
    (a signed-in customer's email kept)."""
    checkout = found if found is not None else find_checkout(token)
    if checkout is not None:
        if user is not None and checkout.user_id is None and checkout.status is CheckoutStatus.OPEN:
            checkout.user_id = user.id
            db.session.flush()
        return checkout
    checkout = Checkout(
        token_digest=token_digest(token),
        cart_id=cart.id,
        user_id=user.id if user is not None else None,
        currency=currency(),
        country=cart.country,
        shipping_choice=dict(cart.shipping_choice or {}),
        coupon_codes=list(cart.coupon_codes or []),
    )
    if user is not None:
        checkout.email = user.email
    db.session.add(checkout)
    db.session.flush()
    return checkout


def require_open(checkout: Checkout) -> None:
    """Refuse to change a checkout that was already submitted."""
    if checkout.status is not CheckoutStatus.OPEN:
        raise CheckoutError("This checkout was already placed: see your order confirmation.")


def set_contact(checkout: Checkout, *, email: str) -> None:
    """The contact email (where the confirmation goes); sealed, with its blind index."""
    require_open(checkout)
    checkout.email = email.strip()
    db.session.flush()


def set_addresses(
    checkout: Checkout,
    *,
    shipping: PostalAddress | None,
    billing: PostalAddress | None,
    save_for: User | None = None,
) -> bool:
    """The shipping address (one for every shop) and the billing address (None: the same);
    with ``save_for``, the address is kept in that customer's address book too. False when
    it was to be kept but the address book is full (the checkout goes on without it)."""
    require_open(checkout)
    main = shipping or billing
    if main is None:
        raise CheckoutError("Enter an address.")
    checkout.shipping_address_json = shipping.to_json() if shipping else None
    checkout.billing_address_json = billing.to_json() if billing else None
    checkout.country = main.country
    kept = save_for is None or save_address(save_for, main) is not None
    db.session.flush()
    return kept


def set_shipping_choice(checkout: Checkout, choice: dict[UUID, UUID]) -> None:
    """The shipping method chosen for each shop's part."""
    require_open(checkout)
    checkout.shipping_choice = {shop.hex: method.hex for shop, method in choice.items()}
    db.session.flush()


def set_payment_method(checkout: Checkout, method: str, *, offered: list[PaymentMethod]) -> None:
    """The payment method, one of those offered for the shops in the cart."""
    require_open(checkout)
    if method not in {m.name for m in offered}:
        raise CheckoutError("Choose one of the payment methods shown.")
    checkout.payment_method = method
    db.session.flush()


# ---------------------------------------------------------------- addresses


def shipping_address(checkout: Checkout) -> PostalAddress | None:
    sealed = checkout.shipping_address_json
    return PostalAddress.from_json(sealed) if sealed else None


def billing_address(checkout: Checkout) -> PostalAddress | None:
    sealed = checkout.billing_address_json
    return PostalAddress.from_json(sealed) if sealed else None


def save_address(user: User, address: PostalAddress) -> SavedAddress | None:
    """Keep ``address`` in the customer's saved addresses (the same one twice: one row);
    None when the address book already holds ``MAX_ADDRESSES``."""
    field_: EncryptedField = SavedAddress.address_json  # type: ignore[assignment]
    fingerprint = field_.lookup(address.to_json())
    existing = db.session.scalar(
        sa.select(SavedAddress).where(
            SavedAddress.user_id == user.id, SavedAddress.fingerprint == fingerprint
        )
    )
    if existing is not None:
        return existing
    held = db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedAddress).where(SavedAddress.user_id == user.id)
    )
    if (held or 0) >= MAX_ADDRESSES:
        return None
    saved = SavedAddress(user_id=user.id)
    saved.address_json = address.to_json()
    db.session.add(saved)
    db.session.flush()
    return saved


def saved_address(user: User, address_id: UUID) -> PostalAddress | None:
    """One of the customer's saved addresses by id (another customer's: None)."""
    row = db.session.scalar(
        sa.select(SavedAddress).where(
            SavedAddress.id == address_id, SavedAddress.user_id == user.id
        )
    )
    return PostalAddress.from_json(row.address_json) if row else None


# ---------------------------------------------------------------- the priced review


@dataclass
class Review:
    """The cart as it would be ordered now: contents, the quote, methods and what is missing."""

    contents: CartContents
    quote: MallQuote
    shops: dict[UUID, Tenant]
    messages: list[str] = field(default_factory=list)

    @property
    def needs_shipping(self) -> bool:
        """False when every item is digital: the one address asked for is the billing one."""
        return any(part.needs_shipping for part in self.quote.shops)

    @cached_property
    def methods(self) -> list[PaymentMethod]:
        """The payment methods every shop in the cart takes (read when a step needs them)."""
        return available_methods(sorted(self.shops))

    @property
    def fingerprint(self) -> str:
        """A digest of every figure the customer is shown (submission refuses a changed one)."""
        parts = []
        for shop in self.quote.shops:
            parts.append(f"{shop.tenant_id.hex}:{shop.total}:{shop.shipping_amount}")
            parts.extend(
                f"{line.line.variant_id.hex}:{line.line.quantity}:{line.total}:{line.tax}"
                for line in shop.lines
            )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def review(checkout: Checkout, cart: Cart, *, now: datetime | None = None) -> Review:
    """Price the cart for this checkout's destination, shipping choice and coupons."""
    contents, priced = priced_cart(
        cart,
        country=checkout.country or "",
        shipping={
            UUID(hex=shop): UUID(hex=method)
            for shop, method in (checkout.shipping_choice or {}).items()
        },
        user_id=checkout.user_id,
        email_index=checkout.email_index,
        thumbnails=False,  # the checkout's summary shows no pictures
        now=now,
    )
    return Review(
        contents=contents,
        quote=priced,
        shops={group.shop.id: group.shop for group in contents.shops},
        messages=[*contents.messages, *priced.messages],
    )


def missing_step(checkout: Checkout, summary: Review) -> str | None:
    """The first step the customer still has to complete ("contact", "address"…), or None."""
    if summary.contents.is_empty:
        return "cart"
    if not checkout.email_ct:
        return "contact"
    if checkout.shipping_address_ct is None and checkout.billing_address_ct is None:
        return "address"  # (the country alone may come from the cart's estimate)
    if not summary.quote.ready:
        return "shipping"
    if checkout.payment_method not in {m.name for m in summary.methods}:
        return "payment"
    return None


def destination_label(checkout: Checkout) -> str:
    return country_name(checkout.country) if checkout.country else ""
