"""Which affiliate rate applies to a sale, decided in one place, and what it earns.

Precedence (``rate_for``), for a line of shop S sold through affiliate A:

1. S's rate for the line's product (``product``);
2. A's own rate in S's private program, when S runs one and A is active in it (``private``);
3. S's own rate (``shop``);
4. the mall program's default rate (``mall``).

A rate is a percentage (basis points of the base) or a fixed amount per unit sold,
never more than the base. The second tier (when the operator turns it on) pays the
affiliate's recruiter ``tier2_bp`` of the tier-1 commission (``tier2_rate``): its base
is that commission, so it is never more than what the recruit earned.

The base of a line (``line_bases``): its net after every discount (shop- and
platform-funded), without tax, plus its share of the order's shipping when the shop
counts shipping. Attribution freezes the rate it used on the commission; changing a
rate later never touches a commission already made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from affiliates.models import (
    AffiliateProductRate,
    AffiliateTerms,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from affiliates.programs.settings import ProgramSettings
from mall.extensions import db
from mall.ledger.commission import shipping_base
from mall.money import allocate, apply_rate
from mall.orders.models import Order, OrderLine

PRODUCT = "product"
PRIVATE = "private"
SHOP = "shop"
MALL = "mall"
TIER2 = "tier 2"


@dataclass(frozen=True)
class Rate:
    """A rate and the rule that chose it: ``bp`` for a percentage, ``fixed`` per unit."""

    rule: str
    kind: RateKind
    bp: int = 0
    fixed: int = 0


@dataclass(frozen=True)
class Terms:
    """What the rates need of a shop's terms (a shop without terms: ``Terms()``)."""

    in_mall_program: bool = True
    private_program: bool = False
    include_shipping: bool = False
    own: Rate | None = None  # the shop's own rate, if it set one


def row_rate(rule: str, row: AffiliateTerms | AffiliateProductRate | ShopAffiliate) -> Rate | None:
    """The row's rate under ``rule``, or None when the row sets no rate."""
    if row.rate_kind is None:
        return None
    if row.rate_kind is RateKind.FIXED:
        return Rate(rule, RateKind.FIXED, fixed=row.rate_fixed)
    return Rate(rule, RateKind.PERCENT, bp=row.rate_bp)


def terms_of(row: AffiliateTerms | None) -> Terms:
    """A shop's terms row as ``Terms`` (None: the defaults)."""
    if row is None:
        return Terms()
    return Terms(
        in_mall_program=row.in_mall_program,
        private_program=row.private_program,
        include_shipping=row.include_shipping,
        own=row_rate(SHOP, row),
    )


def mall_rate(settings: ProgramSettings) -> Rate:
    """The mall program's default rate."""
    if settings.rate_kind is RateKind.FIXED:
        return Rate(MALL, RateKind.FIXED, fixed=settings.rate_fixed)
    return Rate(MALL, RateKind.PERCENT, bp=settings.rate_bp)


def tier2_rate(settings: ProgramSettings) -> Rate | None:
    """The recruiter's share of the tier-1 commission, or None when the second tier is off."""
    if not settings.tier2_enabled or settings.tier2_bp <= 0:
        return None
    return Rate(TIER2, RateKind.PERCENT, bp=settings.tier2_bp)


def rate_for(
    product_id: UUID | None,
    *,
    settings: ProgramSettings,
    terms: Terms,
    product_rates: Mapping[UUID, Rate],
    private_rate: Rate | None,
) -> Rate:
    """THE precedence: product > the affiliate's private-program rate > shop > mall.

    Pure: the caller loads the shop's terms, product rates and the affiliate's private
    rate once (``RateBook``) and asks for as many lines as it likes.
    """
    if product_id is not None and product_id in product_rates:
        return product_rates[product_id]
    if private_rate is not None and terms.private_program:
        return private_rate
    if terms.own is not None:
        return terms.own
    return mall_rate(settings)


def commission_amount(rate: Rate, *, base: int, quantity: int) -> int:
    """What ``rate`` earns on ``base`` for ``quantity`` units: never negative, never above base.

    A percentage is rounded half-up (``apply_rate``); a fixed rate is per unit.
    """
    base = max(0, base)
    if rate.kind is RateKind.FIXED:
        earned = max(0, rate.fixed) * max(0, quantity)
    else:
        earned = apply_rate(base, min(max(0, rate.bp), 10_000))
    return max(0, min(earned, base))


def line_bases(order: Order, *, include_shipping: bool) -> dict[UUID, int]:
    """Each line's base: net of every discount and of tax, plus its shipping share if counted.

    The shipping (net of its tax) is split in proportion to the lines' bases, so the
    shares add up to it exactly.
    """
    lines: list[OrderLine] = list(order.lines)
    bases = [max(0, line.total - line.tax) for line in lines]
    if include_shipping and lines:
        shipping = shipping_base(order)
        if shipping > 0:
            shares = allocate(shipping, bases)
            bases = [base + share for base, share in zip(bases, shares, strict=True)]
    return {line.id: base for line, base in zip(lines, bases, strict=True)}


@dataclass(frozen=True)
class RateBook:
    """One shop's rates for one affiliate, loaded once, asked per line without a query."""

    settings: ProgramSettings
    terms: Terms = field(default_factory=Terms)
    product_rates: Mapping[UUID, Rate] = field(default_factory=dict)
    private_rate: Rate | None = None
    private_member: bool = False  # the affiliate is active in the shop's private program

    @classmethod
    def load(
        cls,
        shop_id: UUID,
        affiliate_id: UUID | None,
        product_ids: Iterable[UUID],
        *,
        settings: ProgramSettings,
    ) -> RateBook:
        """The shop's terms, its rates for ``product_ids`` and the affiliate's private rate.

        At most three queries, whatever the number of products; call in the shop's
        context (or under ``all_tenants``): every read names ``shop_id`` too.
        """
        row = db.session.scalar(
            sa.select(AffiliateTerms).where(AffiliateTerms.tenant_id == shop_id)
        )
        wanted = set(product_ids)
        product_rates: dict[UUID, Rate] = {}
        if wanted:
            for rate_row in db.session.scalars(
                sa.select(AffiliateProductRate).where(
                    AffiliateProductRate.tenant_id == shop_id,
                    AffiliateProductRate.product_id.in_(wanted),
                )
            ):
                rate = row_rate(PRODUCT, rate_row)
                if rate is not None:
                    product_rates[rate_row.product_id] = rate
        member = None
        if affiliate_id is not None and row is not None and row.private_program:
            member = db.session.scalar(
                sa.select(ShopAffiliate).where(
                    ShopAffiliate.tenant_id == shop_id,
                    ShopAffiliate.affiliate_id == affiliate_id,
                    ShopAffiliate.status == ShopAffiliateStatus.ACTIVE,
                )
            )
        return cls(
            settings=settings,
            terms=terms_of(row),
            product_rates=product_rates,
            private_rate=row_rate(PRIVATE, member) if member is not None else None,
            private_member=member is not None,
        )

    @classmethod
    def for_order(
        cls, order: Order, affiliate_id: UUID | None, *, settings: ProgramSettings
    ) -> RateBook:
        """``load`` for the products of a shop order's lines (loaded, if they were not, first)."""
        products = {line.product_id for line in order.lines}
        return cls.load(order.tenant_id, affiliate_id, products, settings=settings)

    @property
    def eligible(self) -> bool:
        """The affiliate may earn on this shop's sales: it is in the mall program, or the
        affiliate is active in its private program."""
        return self.terms.in_mall_program or (self.terms.private_program and self.private_member)

    def rate(self, product_id: UUID | None) -> Rate:
        """The rate of a line selling ``product_id`` (``rate_for``)."""
        return rate_for(
            product_id,
            settings=self.settings,
            terms=self.terms,
            product_rates=self.product_rates,
            private_rate=self.private_rate,
        )

    def bases(self, order: Order) -> dict[UUID, int]:
        """The order's line bases under this shop's shipping choice (``line_bases``)."""
        return line_bases(order, include_shipping=self.terms.include_shipping)
