"""The quote: shipping methods of every kind, tax (inclusive, exclusive, shipping,
facilitator countries), coupons (shop then mall), and the sums that must always hold."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.coupons.rules import CouponKind, CouponRule
from mall.extensions import db
from mall.money import Party
from mall.pricing import services
from mall.pricing.quote import FACILITATOR_COUNTRIES, Destination, QuoteLine, quote
from tenants.context import tenant_context
from tenants.settings import put_setting

DE = Destination("DE")


def line(shop, price, quantity=1, *, grams=0, digital=False, tax_class="standard", **kw):
    return QuoteLine(
        variant_id=uuid4(),
        tenant_id=shop.id,
        product_id=kw.get("product_id") or uuid4(),
        category_id=kw.get("category_id"),
        title="Thing",
        tax_class=tax_class,
        unit_price=price,
        quantity=quantity,
        weight_grams=grams,
        requires_shipping=not digital,
    )


def method(shop, name="Post", kind="flat", **kw):
    with tenant_context(shop):
        made = services.create_method(services.MethodInput(name=name, kind=kind, **kw)).id
        db.session.commit()
    return made


def rate(shop, bp, country="DE", tax_class="standard"):
    with tenant_context(shop):
        services.add_rate(services.RateInput(tax_class=tax_class, country=country, rate_bp=bp))
        db.session.commit()


def inclusive(shop):
    with tenant_context(shop):
        services.set_prices_include_tax(True)
        db.session.commit()


def coupon(code, *, shop=None, percent=0, amount=0, minimum=0, products=(), categories=()):
    return CouponRule(
        coupon_id=uuid4(),
        code=code,
        funded_by=Party.SHOP if shop else Party.PLATFORM,
        tenant_id=shop.id if shop else None,
        kind=CouponKind.PERCENT if percent else CouponKind.FIXED,
        percent_bp=percent,
        amount=amount,
        minimum_subtotal=minimum,
        product_ids=frozenset(products),
        category_ids=frozenset(categories),
    )


def price(lines, destination=DE, choice=None, coupons=()):
    return quote(lines, destination=destination, shipping_choice=choice or {}, coupons=coupons)


# ---------------------------------------------------------------- shipping


def test_flat_rate_and_free_above_after_shop_discounts(shop_a):
    method(shop_a, price=490, free_above=5000)
    assert price([line(shop_a, 4000)]).shops[0].shipping_amount == 490
    assert price([line(shop_a, 5000)]).shops[0].shipping_amount == 0
    # A shop coupon takes the order below the threshold again; a mall coupon does not.
    shop_off = coupon("SHOP10", shop=shop_a, percent=1000)
    assert price([line(shop_a, 5000)], coupons=[shop_off]).shops[0].shipping_amount == 490
    mall_off = coupon("MALL10", percent=1000)
    assert price([line(shop_a, 5000)], coupons=[mall_off]).shops[0].shipping_amount == 0


def test_weight_tiers_pick_the_first_that_holds_the_parcel(shop_a):
    method(shop_a, kind="weight", tiers=[(500, 450), (2000, 900)])
    assert price([line(shop_a, 100, 2, grams=200)]).shops[0].shipping_amount == 450
    assert price([line(shop_a, 100, 3, grams=200)]).shops[0].shipping_amount == 900
    # Digital lines weigh nothing in the parcel.
    lines = [line(shop_a, 100, grams=1500), line(shop_a, 100, grams=5000, digital=True)]
    assert price(lines).shops[0].shipping_amount == 900
    too_heavy = price([line(shop_a, 100, grams=2001)]).shops[0]
    assert too_heavy.shipping_options == [] and too_heavy.shipping is None
    assert too_heavy.messages == ["No shipping to Germany from this shop."]
    assert not too_heavy.ready


def test_free_method_only_from_its_threshold_and_pickup_shows_the_address(shop_a):
    method(shop_a, "Free", kind="free", free_above=3000)
    pickup = method(shop_a, "Pickup", kind="pickup", description="1 Market St, Springfield")
    shop = price([line(shop_a, 1000)]).shops[0]
    assert [o.name for o in shop.shipping_options] == ["Pickup"]
    assert shop.shipping_options[0].description == "1 Market St, Springfield"
    # Pickup is never assumed: the customer chooses it (else a parcel waits in a shop abroad).
    assert shop.shipping is None and not shop.ready
    shop = price([line(shop_a, 1000)], choice={shop_a.id: pickup}).shops[0]
    assert shop.shipping.method_id == pickup and shop.shipping_amount == 0
    assert {o.name for o in price([line(shop_a, 3000)]).shops[0].shipping_options} == {
        "Free",
        "Pickup",
    }


def test_cheapest_unless_chosen_and_country_restriction(shop_a):
    method(shop_a, "Express", price=1500)
    cheap = method(shop_a, "Standard", price=500)
    abroad = method(shop_a, "Abroad", price=300, countries=["FR", "it"])
    express = price([line(shop_a, 100)]).shops[0].shipping_options[0].method_id
    shop = price([line(shop_a, 100)]).shops[0]
    assert shop.shipping.method_id == cheap and shop.messages == []
    chosen = price([line(shop_a, 100)], choice={shop_a.id: express}).shops[0]
    assert chosen.shipping.name == "Express" and chosen.shipping_amount == 1500
    # A choice that does not serve the country falls back to the cheapest that does.
    fallback = price([line(shop_a, 100)], choice={shop_a.id: abroad}).shops[0]
    assert fallback.shipping.method_id == cheap
    in_france = price([line(shop_a, 100)], Destination("fr")).shops[0]
    assert in_france.shipping.method_id == abroad
    nowhere = price([line(shop_a, 100)], Destination("JP")).shops[0]
    assert [o.name for o in nowhere.shipping_options] == ["Express", "Standard"]


def test_inactive_and_deleted_methods_are_not_offered(shop_a):
    gone = method(shop_a, "Gone", price=100)
    paused = method(shop_a, "Paused", price=200)
    with tenant_context(shop_a):
        services.delete_method(services.get_method(gone))
        services.set_method_active(services.get_method(paused), active=False)
        db.session.commit()
    shop = price([line(shop_a, 100)]).shops[0]
    assert shop.shipping_options == [] and shop.messages == [
        "No shipping to Germany from this shop."
    ]


def test_digital_only_shop_needs_no_shipping(shop_a):
    method(shop_a, price=490)
    shop = price([line(shop_a, 1000, digital=True)]).shops[0]
    assert not shop.needs_shipping and shop.shipping_options == []
    assert shop.shipping_amount == 0 and shop.ready and shop.messages == []


def test_no_destination_no_tax_and_no_shipping_yet(shop_a):
    method(shop_a, price=490)
    rate(shop_a, 1900)
    shop = price([line(shop_a, 1000)], destination=None).shops[0]
    assert shop.shipping_options == [] and shop.shipping is None and shop.messages == []
    assert shop.tax == 0 and shop.total == 1000 and shop.lines[0].tax_country == ""


# ---------------------------------------------------------------- tax


def test_exclusive_tax_per_line_half_up_and_on_shipping(shop_a):
    method(shop_a, price=500)
    rate(shop_a, 1900)
    rate(shop_a, 700, tax_class="reduced")
    rate(shop_a, 1900, tax_class="shipping")
    rate(shop_a, 2500, country="FR")
    shop = price([line(shop_a, 333), line(shop_a, 250, 3, tax_class="reduced")]).shops[0]
    first, second = shop.lines
    assert (first.tax, first.tax_rate_bp, first.total) == (63, 1900, 396)  # 63.27
    assert (second.tax, second.tax_rate_bp, second.total) == (53, 700, 803)  # 52.5 -> 53
    assert shop.shipping_tax == 95 and shop.shipping_tax_rate_bp == 1900
    assert shop.tax == 63 + 53 + 95
    assert shop.total == 396 + 803 + 500 + 95
    assert first.tax_collector is Party.SHOP and first.tax_country == "DE"


def test_inclusive_tax_is_inside_the_price(shop_a):
    inclusive(shop_a)
    method(shop_a, price=595)
    rate(shop_a, 1900)
    rate(shop_a, 1900, tax_class="shipping")
    shop = price([line(shop_a, 1190, 2)]).shops[0]
    assert shop.prices_include_tax
    assert (shop.lines[0].tax, shop.lines[0].total) == (380, 2380)
    assert shop.shipping_tax == 95
    assert shop.total == 2380 + 595


def test_untaxed_class_and_shipping_without_a_rate(shop_a):
    method(shop_a, price=500)
    rate(shop_a, 1900)
    shop = price([line(shop_a, 1000, tax_class="exempt")]).shops[0]
    assert shop.tax == 0 and shop.shipping_tax == 0 and shop.total == 1500


def test_facilitator_countries_make_the_platform_collect(shop_a, shop_b):
    rate(shop_a, 1000)
    rate(shop_b, 1000, country="US")
    put_setting(FACILITATOR_COUNTRIES, ["US"])
    db.session.commit()
    result = price([line(shop_a, 1000), line(shop_b, 1000)], Destination("US"))
    a, b = result.shops
    assert b.lines[0].tax == 100 and b.lines[0].tax_collector is Party.PLATFORM
    assert b.lines[0].tax_country == "US" and b.shipping_tax_collector is Party.PLATFORM
    assert a.lines[0].tax == 0 and a.lines[0].tax_collector is Party.PLATFORM
    in_germany = price([line(shop_a, 1000)]).shops[0]
    assert in_germany.lines[0].tax_collector is Party.SHOP and in_germany.lines[0].tax == 100


# ---------------------------------------------------------------- coupons


def test_three_times_0_33_with_a_ten_percent_coupon(shop_a):
    rate(shop_a, 1000)
    lines = [line(shop_a, 33), line(shop_a, 33), line(shop_a, 33)]
    result = price(lines, coupons=[coupon("TEN", percent=1000)])
    shop = result.shops[0]
    assert [pl.discount for pl in shop.lines] == [4, 3, 3]  # 9.9 -> 10, largest remainder
    assert shop.discount == 10 and shop.subtotal == 99
    assert [pl.tax for pl in shop.lines] == [3, 3, 3]
    assert sum(pl.total for pl in shop.lines) == shop.total == result.total == 89 + 9
    assert [share.funded_by for pl in shop.lines for share in pl.discounts] == [Party.PLATFORM] * 3


def test_shop_coupon_first_then_mall_coupon_on_what_is_left(shop_a, shop_b):
    lines = [line(shop_a, 1000), line(shop_b, 3000)]
    result = price(
        lines, coupons=[coupon("MALL", amount=1000), coupon("A50", shop=shop_a, percent=5000)]
    )
    a, b = result.shops
    assert [c.code for c in result.coupons] == ["A50", "MALL"]
    assert a.lines[0].discount_by(Party.SHOP) == 500
    # 1000 spread over what is left: 500 and 3000.
    assert a.lines[0].discount_by(Party.PLATFORM) == 143
    assert b.lines[0].discount_by(Party.PLATFORM) == 857
    assert [(d.code, d.amount) for d in a.discounts] == [("A50", 500), ("MALL", 143)]
    assert result.total == 4000 - 500 - 1000


def test_one_coupon_per_shop_and_one_mall_coupon(shop_a):
    result = price(
        [line(shop_a, 1000)],
        coupons=[
            coupon("A1", shop=shop_a, amount=100),
            coupon("A2", shop=shop_a, amount=200),
            coupon("M1", amount=100),
            coupon("M2", amount=300),
        ],
    )
    assert [c.code for c in result.coupons] == ["A1", "M1"]
    assert result.shops[0].discount == 200
    assert any("A2" in m for m in result.messages) and any("M2" in m for m in result.messages)


def test_minimum_and_restriction_and_fixed_capped(shop_a, shop_b):
    shoe, hat = uuid4(), uuid4()
    category = uuid4()
    lines = [
        line(shop_a, 1500, product_id=shoe),
        line(shop_a, 800, product_id=hat, category_id=category),
    ]
    minimum = coupon("BIG", shop=shop_a, amount=100, minimum=2000, products=[shoe])
    result = price(lines, coupons=[minimum])
    assert result.coupons == [] and result.shops[0].discount == 0
    assert result.messages == ["Coupon BIG needs $20.00 of eligible items; your cart has $15.00."]
    capped = coupon("CAP", amount=5000, categories=[category])
    result = price(lines, coupons=[capped])
    assert [pl.discount for pl in result.shops[0].lines] == [0, 800]
    nothing = price(lines, coupons=[coupon("B", shop=shop_b, amount=100)])
    assert nothing.coupons == [] and "B" in nothing.messages[0]
    unrelated = price(lines, coupons=[coupon("X", amount=100, products=[uuid4()])])
    assert unrelated.messages == ["Coupon X does not apply to anything in your cart."]


# ---------------------------------------------------------------- queries


def test_quote_reads_one_or_ten_shops_in_the_same_number_of_queries(make_shop, count_queries):
    shops = [make_shop() for _ in range(10)]
    for shop in shops:
        method(shop, price=100)
        rate(shop, 1000)
    counts = []
    for some in (shops[:1], shops):
        lines = [line(shop, 500) for shop in some]
        db.session.expire_all()
        with count_queries() as queries:
            result = price(lines)
        assert all(shop.shipping_amount == 100 for shop in result.shops)
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 4


# ---------------------------------------------------------------- properties

carts = st.lists(
    st.tuples(
        st.integers(0, 3),  # which shop
        st.integers(0, 10**7),  # unit price
        st.integers(1, 99),  # quantity
        st.integers(0, 3000),  # grams
        st.booleans(),  # digital
        st.sampled_from(["standard", "reduced", "exempt"]),
    ),
    min_size=1,
    max_size=12,
)
rules = st.lists(
    st.tuples(
        st.sampled_from([None, 0, 1, 2, 3]),  # mall coupon or a shop's
        st.integers(0, 10_000),  # percent bp (0: fixed)
        st.integers(0, 10**8),  # fixed amount
        st.integers(0, 10**6),  # minimum
    ),
    max_size=4,
)


@pytest.fixture
def four_shops(make_shop):
    shops = [make_shop() for _ in range(4)]
    inclusive(shops[1])
    inclusive(shops[3])
    for n, shop in enumerate(shops):
        method(shop, kind="weight", tiers=[(10**6, 450 + n)], free_above=10**6 * (n + 1))
        rate(shop, 1900 + n)
        rate(shop, 700, tax_class="reduced")
        rate(shop, 1000 + 7 * n, tax_class="shipping")
    return shops


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cart=carts, coupon_specs=rules)
def test_sums_always_hold(four_shops, cart, coupon_specs):
    lines = [
        line(four_shops[s], p, q, grams=g, digital=d, tax_class=c) for s, p, q, g, d, c in cart
    ]
    coupons = [
        coupon(
            f"C{n}",
            shop=None if s is None else four_shops[s],
            percent=bp,
            amount=amount,
            minimum=minimum,
        )
        for n, (s, bp, amount, minimum) in enumerate(coupon_specs)
    ]
    result = price(lines, coupons=coupons)
    shares: dict[UUID, int] = {}
    for shop in result.shops:
        for pl in shop.lines:
            assert 0 <= pl.discount <= pl.subtotal
            assert pl.total >= 0 and pl.tax >= 0
            expected = pl.subtotal - pl.discount + (0 if shop.prices_include_tax else pl.tax)
            assert pl.total == expected
            for share in pl.discounts:
                assert share.amount > 0
                shares[share.coupon_id] = shares.get(share.coupon_id, 0) + share.amount
        extra = 0 if shop.prices_include_tax else shop.shipping_tax
        assert shop.total == sum(pl.total for pl in shop.lines) + shop.shipping_amount + extra
        for applied in shop.discounts:
            assert applied.amount == sum(
                s.amount
                for pl in shop.lines
                for s in pl.discounts
                if s.coupon_id == applied.coupon_id
            )
    assert result.total == sum(shop.total for shop in result.shops)
    for rule in result.coupons:
        whole = sum(
            d.amount
            for shop in result.shops
            for d in shop.discounts
            if d.coupon_id == rule.coupon_id
        )
        assert shares.get(rule.coupon_id, 0) == whole
        if rule.kind == CouponKind.FIXED:
            assert whole <= rule.amount
    assert len(result.coupons) + len(result.messages) == len(coupons)
