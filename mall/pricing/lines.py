"""The quote's values: the lines it prices and what it answers (plain dataclasses).

The function is ``mall.pricing.engine.quote``; ``mall.pricing.quote`` exports both.

The quote: a cart's lines priced per shop (discounts, tax, shipping), and the mall total.

One function, ``quote``, prices what the cart page shows and what checkout
snapshots into orders, so the two can never disagree. It reads the shops'
shipping methods and tax rates; everything it returns is plain values.

Invariants (tested with hypothesis):

- a line's ``total`` is ``subtotal - discount`` plus its ``tax`` when the shop's
  prices exclude tax (tax-inclusive prices already contain it);
- a shop's ``total`` is the sum of its lines' totals plus shipping (and shipping
  tax when prices exclude tax); the mall's ``total`` is the sum of the shops';
- every coupon's shares over lines sum to that coupon's discount (largest remainder,
  ``mall.money.allocate``), and each share records who funds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from mall.coupons.rules import CouponRule
from mall.money import Party


@dataclass(frozen=True)
class QuoteLine:
    """One cart line as the quote needs it (read fresh from the catalog)."""

    variant_id: UUID
    tenant_id: UUID
    product_id: UUID
    category_id: UUID | None
    title: str
    tax_class: str
    unit_price: int  # as listed: with or without tax, per the shop's setting
    quantity: int
    weight_grams: int = 0  # per unit; 0 when unknown
    requires_shipping: bool = True  # False for digital products


@dataclass(frozen=True)
class Destination:
    """Where the order goes: an ISO 3166-1 alpha-2 country (and a postal code)."""

    country: str
    postal_code: str = ""


@dataclass(frozen=True)
class Customer:
    """Who buys, for per-customer coupon limits (ids and blind indexes only)."""

    user_id: UUID | None = None
    email_index: bytes | None = None


@dataclass(frozen=True)
class LineDiscount:
    """One coupon's share on one line."""

    code: str
    funded_by: Party
    amount: int
    coupon_id: UUID | None = None


@dataclass
class PricedLine:
    line: QuoteLine
    subtotal: int  # unit_price * quantity
    discounts: list[LineDiscount] = field(default_factory=list)
    tax: int = 0  # on the discounted amount
    tax_rate_bp: int = 0
    tax_collector: Party = Party.SHOP  # who collects (marketplace facilitator: the platform)
    tax_country: str = ""  # the destination the tax was computed for
    total: int = 0

    @property
    def discount(self) -> int:
        return sum(share.amount for share in self.discounts)

    def discount_by(self, party: Party) -> int:
        return sum(share.amount for share in self.discounts if share.funded_by is party)


@dataclass(frozen=True)
class ShippingOption:
    """A shipping method of a shop that can carry these lines to the destination."""

    method_id: UUID
    name: str
    kind: str
    price: int  # as entered (with or without tax, as the shop's prices)
    description: str = ""


@dataclass(frozen=True)
class AppliedDiscount:
    """One coupon's whole discount on one shop's part (the sum of its line shares there)."""

    code: str
    funded_by: Party
    amount: int
    coupon_id: UUID | None = None


@dataclass
class ShopQuote:
    tenant_id: UUID
    lines: list[PricedLine]
    prices_include_tax: bool = False
    needs_shipping: bool = True  # False when every line is digital
    shipping_options: list[ShippingOption] = field(default_factory=list)
    shipping: ShippingOption | None = None  # the chosen option (None: not chosen or none fits)
    shipping_amount: int = 0
    shipping_tax: int = 0
    shipping_tax_rate_bp: int = 0
    shipping_tax_collector: Party = Party.SHOP  # who collects the tax on shipping
    tax_country: str = ""  # the destination every tax of this part was computed for
    discounts: list[AppliedDiscount] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # e.g. "No shipping to Japan."

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines) + self.shipping_tax

    @property
    def total(self) -> int:
        extra = 0 if self.prices_include_tax else self.shipping_tax
        return sum(line.total for line in self.lines) + self.shipping_amount + extra

    @property
    def ready(self) -> bool:
        """True when this part can be ordered: shipping chosen, or none needed."""
        return not self.needs_shipping or self.shipping is not None


@dataclass
class MallQuote:
    shops: list[ShopQuote]
    coupons: list[CouponRule] = field(default_factory=list)  # the coupons that applied
    messages: list[str] = field(default_factory=list)  # about coupons that did not

    @property
    def total(self) -> int:
        return sum(shop.total for shop in self.shops)

    @property
    def ready(self) -> bool:
        return bool(self.shops) and all(shop.ready for shop in self.shops)

    def shop(self, tenant_id: UUID) -> ShopQuote | None:
        return next((s for s in self.shops if s.tenant_id == tenant_id), None)
