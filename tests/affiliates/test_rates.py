"""Which affiliate rate applies (product > private > shop > mall) and what it earns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affiliates.models import (
    Affiliate,
    AffiliateProductRate,
    AffiliateStatus,
    AffiliateTerms,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from affiliates.programs.rates import (
    MALL,
    PRIVATE,
    PRODUCT,
    SHOP,
    Rate,
    RateBook,
    Terms,
    commission_amount,
    line_bases,
    rate_for,
    tier2_rate,
)
from affiliates.programs.settings import ProgramSettings
from mall.db import new_id
from mall.extensions import db
from tenants.context import tenant_context
from tests.crawl.orders import place_order

BASES = st.integers(min_value=-1_000, max_value=10**13)
QUANTITIES = st.integers(min_value=0, max_value=5_000)
BPS = st.integers(min_value=0, max_value=10_000)
FIXED = st.integers(min_value=0, max_value=10**9)
RATES = st.one_of(
    st.builds(Rate, st.just("any"), st.just(RateKind.PERCENT), bp=BPS),
    st.builds(Rate, st.just("any"), st.just(RateKind.FIXED), fixed=FIXED),
)


# ---------------------------------------------------------------- what a rate earns


@given(rate=RATES, base=BASES, quantity=QUANTITIES)
def test_a_commission_is_never_negative_nor_above_its_base(rate, base, quantity):
    amount = commission_amount(rate, base=base, quantity=quantity)
    assert 0 <= amount <= max(0, base)


@given(base=st.integers(min_value=0, max_value=10**13), low=BPS, high=BPS)
def test_a_higher_percentage_never_earns_less(base, low, high):
    low, high = sorted((low, high))
    earn = lambda bp: commission_amount(Rate("x", RateKind.PERCENT, bp=bp), base=base, quantity=1)  # noqa: E731
    assert earn(low) <= earn(high)


@given(base=st.integers(min_value=0, max_value=10**13), bp=BPS)
def test_a_percentage_is_rounded_half_up(base, bp):
    exact_cents = base * bp  # in ten-thousandths of a minor unit
    expected = (exact_cents + 5_000) // 10_000
    assert commission_amount(Rate("x", RateKind.PERCENT, bp=bp), base=base, quantity=3) == expected


def test_examples_a_shop_owner_would_check():
    five = Rate("x", RateKind.PERCENT, bp=500)
    assert commission_amount(five, base=1999, quantity=1) == 100  # 99.95 -> 100
    assert commission_amount(five, base=1990, quantity=1) == 100  # 99.5 -> 100 (half up)
    assert commission_amount(five, base=1989, quantity=1) == 99
    two_fifty = Rate("x", RateKind.FIXED, fixed=250)
    assert commission_amount(two_fifty, base=10_000, quantity=3) == 750  # per unit
    assert commission_amount(two_fifty, base=400, quantity=3) == 400  # never above the base
    assert commission_amount(two_fifty, base=-50, quantity=3) == 0  # a refunded line earns nothing


# ---------------------------------------------------------------- precedence

SETTINGS = ProgramSettings(rate_bp=500)
PRODUCT_ID = new_id()
OTHER_PRODUCT = new_id()
PRODUCT_RATE = Rate(PRODUCT, RateKind.FIXED, fixed=300)
PRIVATE_RATE = Rate(PRIVATE, RateKind.PERCENT, bp=1500)
SHOP_RATE = Rate(SHOP, RateKind.PERCENT, bp=800)


@pytest.mark.parametrize(
    ("product_rate", "private_rate", "private_program", "shop_rate", "expected"),
    [
        (True, True, True, True, PRODUCT_RATE),
        (True, False, False, False, PRODUCT_RATE),
        (False, True, True, True, PRIVATE_RATE),
        (False, True, False, True, SHOP_RATE),  # the shop closed its private program
        (False, False, True, True, SHOP_RATE),
        (False, True, False, False, Rate(MALL, RateKind.PERCENT, bp=500)),
        (False, False, False, False, Rate(MALL, RateKind.PERCENT, bp=500)),
    ],
)
def test_the_precedence_is_product_private_shop_mall(
    product_rate, private_rate, private_program, shop_rate, expected
):
    chosen = rate_for(
        PRODUCT_ID,
        settings=SETTINGS,
        terms=Terms(private_program=private_program, own=SHOP_RATE if shop_rate else None),
        product_rates={PRODUCT_ID: PRODUCT_RATE} if product_rate else {},
        private_rate=PRIVATE_RATE if private_rate else None,
    )
    assert chosen == expected


def test_another_products_rate_does_not_apply():
    chosen = rate_for(
        OTHER_PRODUCT,
        settings=SETTINGS,
        terms=Terms(),
        product_rates={PRODUCT_ID: PRODUCT_RATE},
        private_rate=None,
    )
    assert chosen.rule == MALL


def test_a_fixed_mall_rate_and_the_second_tier():
    fixed = ProgramSettings(rate_kind=RateKind.FIXED, rate_fixed=200)
    chosen = rate_for(None, settings=fixed, terms=Terms(), product_rates={}, private_rate=None)
    assert chosen == Rate(MALL, RateKind.FIXED, fixed=200)
    assert tier2_rate(ProgramSettings()) is None  # off by default
    assert tier2_rate(ProgramSettings(tier2_enabled=True, tier2_bp=1000)) == Rate(
        "tier 2", RateKind.PERCENT, bp=1000
    )


# ---------------------------------------------------------------- the rate book


@pytest.fixture
def affiliate(app_ctx):
    made = Affiliate(code=f"AFF{new_id().hex[:6].upper()}", status=AffiliateStatus.APPROVED)
    db.session.add(made)
    db.session.commit()
    return made


def test_a_rate_book_answers_every_line_from_three_queries(
    app_ctx, shop_a, affiliate, count_queries
):
    with tenant_context(shop_a):
        order = place_order(shop_a)
        other = place_order(shop_a)
        product_id = order.lines[0].product_id
        db.session.add_all(
            [
                AffiliateTerms(
                    tenant_id=shop_a.id,
                    in_mall_program=False,
                    private_program=True,
                    rate_kind=RateKind.PERCENT,
                    rate_bp=800,
                ),
                AffiliateProductRate(
                    tenant_id=shop_a.id,
                    product_id=product_id,
                    rate_kind=RateKind.FIXED,
                    rate_fixed=300,
                ),
                ShopAffiliate(
                    tenant_id=shop_a.id,
                    affiliate_id=affiliate.id,
                    status=ShopAffiliateStatus.ACTIVE,
                    rate_kind=RateKind.PERCENT,
                    rate_bp=1500,
                ),
            ]
        )
        db.session.flush()
        products = [product_id, other.lines[0].product_id]
        with count_queries() as queries:
            book = RateBook.load(shop_a.id, affiliate.id, products, settings=SETTINGS)
            rates = [book.rate(product) for product in products * 50]
        assert queries.count <= 3
        assert rates[0] == Rate(PRODUCT, RateKind.FIXED, fixed=300)
        assert rates[1] == Rate(PRIVATE, RateKind.PERCENT, bp=1500)
        assert book.eligible  # out of the mall program, but the affiliate is its own
        stranger = RateBook.load(shop_a.id, new_id(), products, settings=SETTINGS)
        assert stranger.rate(products[1]) == Rate(SHOP, RateKind.PERCENT, bp=800)
        assert not stranger.eligible


def test_a_shop_without_terms_pays_the_mall_rate(app_ctx, shop_a, affiliate):
    with tenant_context(shop_a):
        order = place_order(shop_a)
        book = RateBook.for_order(order, affiliate.id, settings=SETTINGS)
    assert book.rate(order.lines[0].product_id) == Rate(MALL, RateKind.PERCENT, bp=500)
    assert book.eligible


def test_a_removed_private_affiliate_keeps_no_private_rate(app_ctx, shop_a, affiliate):
    with tenant_context(shop_a):
        db.session.add_all(
            [
                AffiliateTerms(tenant_id=shop_a.id, in_mall_program=False, private_program=True),
                ShopAffiliate(
                    tenant_id=shop_a.id,
                    affiliate_id=affiliate.id,
                    status=ShopAffiliateStatus.REMOVED,
                    rate_kind=RateKind.PERCENT,
                    rate_bp=1500,
                ),
            ]
        )
        db.session.flush()
        book = RateBook.load(shop_a.id, affiliate.id, [], settings=SETTINGS)
    assert book.rate(None).rule == MALL
    assert not book.eligible


def test_line_bases_leave_tax_out_and_count_shipping_only_when_the_shop_does(app_ctx, shop_a):
    with tenant_context(shop_a):
        order = place_order(shop_a)
        order.shipping_amount = 700
        order.shipping_tax = 0
        line = order.lines[0]
        net = line.total - line.tax
        assert line_bases(order, include_shipping=False) == {line.id: net}
        assert line_bases(order, include_shipping=True) == {line.id: net + 700}
