"""The quote: a cart's lines priced per shop (coupons, tax, shipping), and the mall total.

Order of work, so that every amount is computed on what the previous step left:

1. subtotals per line (``unit_price * quantity``);
2. shop coupons (at most one per shop: the first given), on that shop's eligible lines;
3. one mall coupon (the first given) over every shop's eligible lines, on what is left;
4. shipping options per shop (the free-above threshold counts shop discounts only);
5. tax per line on the discounted amount, and on shipping (tax class ``shipping``).

Each coupon is split over its eligible lines by largest remainder (``allocate``,
weights = what is left on each line), so no line goes below zero and the shares sum
to the coupon's discount. All shops' methods, rates and settings are read in a
constant number of queries, whatever the number of shops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.countries import country_name
from mall.coupons.rules import CouponKind, CouponRule
from mall.extensions import db
from mall.money import Party, allocate, apply_rate, format_money, included_part
from mall.pricing.lines import (
    AppliedDiscount,
    Destination,
    LineDiscount,
    MallQuote,
    PricedLine,
    QuoteLine,
    ShippingOption,
    ShopQuote,
)
from mall.pricing.models import PricingSettings, ShippingKind, ShippingMethod, TaxRate
from tenants.context import all_tenants
from tenants.settings import get_setting

# The platform setting: countries where the platform collects tax as marketplace facilitator.
FACILITATOR_COUNTRIES = "tax.facilitator_countries"
# The tax class whose rate applies to shipping (no rate for the country: shipping is untaxed).
SHIPPING_TAX_CLASS = "shipping"


@dataclass(frozen=True)
class MethodValues:
    """A shipping method as plain values (read once per quote for every shop)."""

    id: UUID
    name: str
    kind: ShippingKind
    price: int
    free_above: int | None
    countries: tuple[str, ...]
    tiers: tuple[tuple[int, int], ...]  # (up_to_grams, price), increasing
    description: str

    def serves(self, country: str) -> bool:
        return not self.countries or country in self.countries


@dataclass
class ShopData:
    """What the quote reads about the shops in it."""

    include_tax: set[UUID] = field(default_factory=set)
    methods: dict[UUID, list[MethodValues]] = field(default_factory=dict)
    rates: dict[tuple[UUID, str], int] = field(default_factory=dict)  # (shop, class) -> bp
    facilitator_countries: frozenset[str] = frozenset()


def load_shop_data(tenant_ids: Sequence[UUID], country: str | None) -> ShopData:
    """Settings, active methods and the destination's tax rates of ``tenant_ids``.

    Three queries (settings; with a country also methods and rates) plus the platform
    setting, however many shops.
    """
    data = ShopData()
    if not tenant_ids:
        return data
    with all_tenants("quote: shipping methods and tax rates of the shops in a cart"):
        data.include_tax = set(
            db.session.scalars(
                sa.select(PricingSettings.tenant_id).where(
                    PricingSettings.tenant_id.in_(tenant_ids),
                    PricingSettings.prices_include_tax.is_(True),
                )
            )
        )
        if country is None:
            return data
        methods = db.session.scalars(
            sa.select(ShippingMethod)
            .where(ShippingMethod.tenant_id.in_(tenant_ids), ShippingMethod.active.is_(True))
            .order_by(ShippingMethod.position, ShippingMethod.name, ShippingMethod.id)
        )
        for method in methods:
            data.methods.setdefault(method.tenant_id, []).append(_values(method))
        rates = db.session.execute(
            sa.select(TaxRate.tenant_id, TaxRate.tax_class, TaxRate.rate_bp).where(
                TaxRate.tenant_id.in_(tenant_ids), TaxRate.country == country
            )
        )
        data.rates = {(tenant_id, tax_class): bp for tenant_id, tax_class, bp in rates}
    data.facilitator_countries = frozenset(get_setting(FACILITATOR_COUNTRIES, None) or ())
    return data


def _values(method: ShippingMethod) -> MethodValues:
    tiers = sorted((int(t["up_to_grams"]), int(t["price"])) for t in method.tiers or ())
    return MethodValues(
        id=method.id,
        name=method.name,
        kind=ShippingKind(method.kind),
        price=method.price,
        free_above=method.free_above,
        countries=tuple(method.countries or ()),
        tiers=tuple(tiers),
        description=method.description or "",
    )


def quote(
    lines: Sequence[QuoteLine],
    *,
    destination: Destination | None,
    shipping_choice: Mapping[UUID, UUID],
    coupons: Sequence[CouponRule] = (),
    now: datetime | None = None,
) -> MallQuote:
    """Price ``lines`` per shop for ``destination`` with the chosen shipping and coupons.

    Without a destination (the cart before checkout) shipping options and tax are
    those that need no country: none. Shops come in the order of their first line.
    ``now`` is accepted for the callers' sake: coupons come in already valid.
    """
    groups: dict[UUID, list[QuoteLine]] = {}
    for line in lines:
        groups.setdefault(line.tenant_id, []).append(line)
    country = destination.country.upper() if destination and destination.country else None
    data = load_shop_data(list(groups), country)
    shops = [
        ShopQuote(
            tenant_id,
            [PricedLine(line, subtotal=line.unit_price * line.quantity) for line in shop_lines],
            prices_include_tax=tenant_id in data.include_tax,
            needs_shipping=any(line.requires_shipping for line in shop_lines),
        )
        for tenant_id, shop_lines in groups.items()
    ]
    result = MallQuote(shops)
    _apply_coupons(result, coupons)
    for shop in shops:
        if country is not None:
            _ship(shop, data, country, shipping_choice.get(shop.tenant_id))
        _tax(shop, data, country)
    return result


# ---------------------------------------------------------------- coupons


def _left(line: PricedLine) -> int:
    return line.subtotal - line.discount


def _apply_coupons(result: MallQuote, coupons: Sequence[CouponRule]) -> None:
    shop_ids = {shop.tenant_id for shop in result.shops}
    used_shops: set[UUID] = set()
    mall_rules: list[CouponRule] = []
    for rule in coupons:
        if rule.tenant_id is None:
            mall_rules.append(rule)
        elif rule.tenant_id not in shop_ids:
            result.messages.append(f"Coupon {rule.code} is for a shop with nothing in your cart.")
        elif rule.tenant_id in used_shops:
            result.messages.append(
                f"Coupon {rule.code} is not applied: one coupon per shop, and this shop's"
                " is applied already."
            )
        elif _apply(result, rule, [s for s in result.shops if s.tenant_id == rule.tenant_id]):
            used_shops.add(rule.tenant_id)
    applied: CouponRule | None = None
    for rule in mall_rules:
        if applied is not None:
            result.messages.append(
                f"Coupon {rule.code} is not applied: one mall coupon per order,"
                f" and {applied.code} is applied."
            )
        elif _apply(result, rule, result.shops):
            applied = rule


def _apply(result: MallQuote, rule: CouponRule, shops: Sequence[ShopQuote]) -> bool:
    """Spread ``rule`` over its eligible lines in ``shops``; False (and a message) if it fails."""
    eligible = [
        (shop, line)
        for shop in shops
        for line in shop.lines
        if rule.applies_to(
            tenant_id=shop.tenant_id,
            product_id=line.line.product_id,
            category_id=line.line.category_id,
        )
    ]
    if not eligible:
        result.messages.append(f"Coupon {rule.code} does not apply to anything in your cart.")
        return False
    before = sum(line.subtotal for _, line in eligible)
    if before < rule.minimum_subtotal:
        result.messages.append(
            f"Coupon {rule.code} needs {format_money(rule.minimum_subtotal)} of eligible items;"
            f" your cart has {format_money(before)}."
        )
        return False
    weights = [_left(line) for _, line in eligible]
    left = sum(weights)
    if rule.kind == CouponKind.PERCENT:
        amount = min(apply_rate(left, rule.percent_bp), left)
    else:
        amount = min(rule.amount, left)  # a fixed amount never exceeds what is left
    amount = max(amount, 0)
    per_shop: dict[UUID, int] = {}
    for (shop, line), share in zip(eligible, allocate(amount, weights), strict=True):
        if share:
            line.discounts.append(LineDiscount(rule.code, rule.funded_by, share, rule.coupon_id))
            per_shop[shop.tenant_id] = per_shop.get(shop.tenant_id, 0) + share
    for shop in shops:
        if shop.tenant_id in per_shop:
            shop.discounts.append(
                AppliedDiscount(rule.code, rule.funded_by, per_shop[shop.tenant_id], rule.coupon_id)
            )
    result.coupons.append(rule)
    return True


# ---------------------------------------------------------------- shipping


def _ship(shop: ShopQuote, data: ShopData, country: str, choice: UUID | None) -> None:
    if not shop.needs_shipping:
        return
    parcel = [line for line in shop.lines if line.line.requires_shipping]
    grams = sum(line.line.weight_grams * line.line.quantity for line in parcel)
    # The free-above threshold counts the shop's own discounts, not the mall's coupon.
    after_shop = shop.subtotal - sum(line.discount_by(Party.SHOP) for line in shop.lines)
    for method in data.methods.get(shop.tenant_id, ()):
        if method.serves(country):
            price = _price(method, grams, after_shop)
            if price is not None:
                option = ShippingOption(
                    method.id, method.name, method.kind.value, price, method.description
                )
                shop.shipping_options.append(option)
    chosen = None
    if shop.shipping_options:
        chosen = next((o for o in shop.shipping_options if o.method_id == choice), None)
        # Nothing (valid) chosen: the cheapest that delivers, first listed on a tie. Local
        # pickup is never assumed (a customer abroad would find a parcel waiting in a shop);
        # when pickup is all there is, the customer chooses it.
        delivered = [o for o in shop.shipping_options if o.kind != ShippingKind.PICKUP.value]
        if chosen is None and delivered:
            chosen = min(delivered, key=lambda option: option.price)
    else:
        shop.messages.append(f"No shipping to {country_name(country)} from this shop.")
    shop.shipping = chosen
    shop.shipping_amount = chosen.price if chosen else 0


def _price(method: MethodValues, grams: int, after_shop: int) -> int | None:
    """What ``method`` charges for this parcel, or None when it cannot carry it."""
    reached = method.free_above is not None and after_shop >= method.free_above
    if method.kind == ShippingKind.PICKUP:
        return 0
    if method.kind == ShippingKind.FREE:
        return 0 if method.free_above is None or reached else None
    if method.kind == ShippingKind.WEIGHT:
        price = next((p for up_to, p in method.tiers if up_to >= grams), None)
        if price is None:
            return None
    else:
        price = method.price
    return 0 if reached else price


# ---------------------------------------------------------------- tax


def _tax(shop: ShopQuote, data: ShopData, country: str | None) -> None:
    collector = Party.PLATFORM if country in data.facilitator_countries else Party.SHOP
    for line in shop.lines:
        taxable = _left(line)
        rate = data.rates.get((shop.tenant_id, line.line.tax_class), 0) if country else 0
        if shop.prices_include_tax:
            line.tax = included_part(taxable, rate)
            line.total = taxable
        else:
            line.tax = apply_rate(taxable, rate)
            line.total = taxable + line.tax
        line.tax_rate_bp = rate
        line.tax_collector = collector
        line.tax_country = country or ""
    shop.tax_country = country or ""
    shop.shipping_tax_collector = collector
    rate = data.rates.get((shop.tenant_id, SHIPPING_TAX_CLASS), 0) if country else 0
    shop.shipping_tax_rate_bp = rate
    if shop.prices_include_tax:
        shop.shipping_tax = included_part(shop.shipping_amount, rate)
    else:
        shop.shipping_tax = apply_rate(shop.shipping_amount, rate)
