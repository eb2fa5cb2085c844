"""Coupon services: finding typed codes (window, active, limits, restrictions, who funds),
redeeming once per checkout, confirming, and releasing exactly once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.coupons import editing
from mall.coupons.editing import CouponInput
from mall.coupons.errors import InvalidCoupon
from mall.coupons.models import (
    MallCoupon,
    MallCouponRedemption,
    ShopCoupon,
    ShopCouponRedemption,
)
from mall.coupons.rules import CouponKind
from mall.coupons.services import (
    CouponError,
    confirm_redemptions,
    find_coupons,
    redeem_coupons,
    release_redemptions,
)
from mall.db import utcnow
from mall.extensions import db
from mall.money import Party
from tenants.context import all_tenants, tenant_context

NOW = utcnow()
EMAIL = b"e" * 32
OTHER_EMAIL = b"o" * 32


def shop_coupon(shop, code="SAVE10", **kw):
    kw.setdefault("kind", "percent")
    kw.setdefault("percent_bp", 1000 if kw["kind"] == "percent" else 0)
    kw.setdefault("starts_at", NOW - timedelta(days=1))
    with tenant_context(shop):
        coupon = editing.create_shop_coupon(CouponInput(code=code, **kw))
    db.session.commit()
    return coupon


def mall_coupon(code="MALL5", **kw):
    kw.setdefault("kind", "fixed")
    kw.setdefault("amount", 500)
    kw.setdefault("starts_at", NOW - timedelta(days=1))
    coupon = editing.create_mall_coupon(CouponInput(code=code, **kw), actor_id=None)
    db.session.commit()
    return coupon


def times_used(coupon) -> int:
    if isinstance(coupon, ShopCoupon):
        with tenant_context(coupon.tenant_id):
            return db.session.scalar(
                sa.select(ShopCoupon.times_used).where(ShopCoupon.id == coupon.id)
            )
    return db.session.scalar(sa.select(MallCoupon.times_used).where(MallCoupon.id == coupon.id))


def statuses(checkout_id) -> list[str]:
    with all_tenants("test: a checkout's redemptions"):
        rows = [
            *db.session.scalars(
                sa.select(ShopCouponRedemption.status).where(
                    ShopCouponRedemption.checkout_id == checkout_id
                )
            ),
            *db.session.scalars(
                sa.select(MallCouponRedemption.status).where(
                    MallCouponRedemption.checkout_id == checkout_id
                )
            ),
        ]
    return sorted(status.value for status in rows)


def redeem(rules, checkout_id, *, user_id=None, email_index=EMAIL, now=NOW):
    return redeem_coupons(
        rules,
        checkout_id=checkout_id,
        amounts={rule.coupon_id: 100 for rule in rules},
        user_id=user_id,
        email_index=email_index,
        now=now,
    )


# ---------------------------------------------------------------- finding


def test_a_shop_coupon_and_a_mall_coupon_become_rules_with_who_funds_them(app_ctx, shop_a):
    shop = shop_coupon(shop_a, "SAVE10", minimum_subtotal=2000)
    mall = mall_coupon("MALL5")
    rules, messages = find_coupons(
        [" save10", "MALL5 "], tenant_ids=[shop_a.id], email_index=EMAIL, now=NOW
    )
    assert messages == []
    by_code = {rule.code: rule for rule in rules}
    assert by_code["SAVE10"].coupon_id == shop.id
    assert by_code["SAVE10"].funded_by == Party.SHOP
    assert by_code["SAVE10"].tenant_id == shop_a.id
    assert (by_code["SAVE10"].kind, by_code["SAVE10"].percent_bp) == (CouponKind.PERCENT, 1000)
    assert by_code["SAVE10"].minimum_subtotal == 2000
    assert by_code["MALL5"].coupon_id == mall.id
    assert by_code["MALL5"].funded_by == Party.PLATFORM
    assert by_code["MALL5"].tenant_id is None
    assert (by_code["MALL5"].kind, by_code["MALL5"].amount) == (CouponKind.FIXED, 500)


def test_a_code_that_is_a_mall_and_a_shop_coupon_gives_both(app_ctx, shop_a):
    shop_coupon(shop_a, "BOTH")
    mall_coupon("BOTH")
    rules, messages = find_coupons(["BOTH"], tenant_ids=[shop_a.id], now=NOW)
    assert sorted(rule.funded_by.value for rule in rules) == ["platform", "shop"]
    assert messages == []


def test_a_shop_coupon_of_a_shop_not_in_the_cart_is_not_valid(app_ctx, shop_a, shop_b):
    shop_coupon(shop_b, "BONLY")
    rules, messages = find_coupons(["BONLY"], tenant_ids=[shop_a.id], now=NOW)
    assert rules == []
    assert messages == ["The code BONLY is not valid."]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"ends_at": NOW - timedelta(hours=1)}, "The code OLD has expired."),
        (
            {"starts_at": NOW + timedelta(days=1), "ends_at": NOW + timedelta(days=2)},
            "The code OLD is not valid yet.",
        ),
        ({"active": False}, "The code OLD is not valid."),
    ],
)
def test_outside_its_window_or_inactive_a_coupon_is_refused(app_ctx, shop_a, kw, message):
    kw.setdefault("starts_at", NOW - timedelta(days=3))
    shop_coupon(shop_a, "OLD", **kw)
    rules, messages = find_coupons(["OLD"], tenant_ids=[shop_a.id], now=NOW)
    assert rules == []
    assert messages == [message]


def test_unknown_and_malformed_codes_are_not_valid(app_ctx, shop_a):
    rules, messages = find_coupons(["NOPE", "x"], tenant_ids=[shop_a.id], now=NOW)
    assert rules == []
    assert messages == ["The code NOPE is not valid.", "The code X is not valid."]


def test_a_coupon_used_up_is_refused(app_ctx, shop_a):
    coupon = shop_coupon(shop_a, "ONCE", usage_limit=1)
    rules, _ = find_coupons(["ONCE"], tenant_ids=[shop_a.id], now=NOW)
    redeem(rules, uuid4())
    assert times_used(coupon) == 1
    rules, messages = find_coupons(["ONCE"], tenant_ids=[shop_a.id], email_index=OTHER_EMAIL)
    assert rules == []
    assert messages == ["The code ONCE has been used as many times as it can be."]


def test_the_per_customer_limit_counts_by_account_and_by_email(app_ctx, shop_a, make_user):
    user = make_user()
    mall_coupon("PERYOU", per_customer_limit=1)
    rules, _ = find_coupons(["PERYOU"], tenant_ids=[], user_id=user.id, now=NOW)
    redeem(rules, uuid4(), user_id=user.id, email_index=EMAIL)
    used = "The code PERYOU has been used as many times as it can be by one customer."
    for who in ({"user_id": user.id}, {"email_index": EMAIL}):
        rules, messages = find_coupons(["PERYOU"], tenant_ids=[], now=NOW, **who)
        assert (rules, messages) == ([], [used])
    rules, messages = find_coupons(["PERYOU"], tenant_ids=[], email_index=OTHER_EMAIL, now=NOW)
    assert [rule.code for rule in rules] == ["PERYOU"]


def test_restrictions_are_in_the_rule(app_ctx, shop_a):
    from mall.catalog.categories import create_category

    category, _ = create_category(name="Garden", slug="garden", actor_id=None)
    db.session.commit()
    with tenant_context(shop_a):
        product = create_product(
            ProductInput(title="Spade", variants=[VariantInput(sku="SP-1", price=900)])
        )
        product_id = product.id
    db.session.commit()
    shop_coupon(shop_a, "SPADE", product_ids=[product_id], category_ids=[category.id])
    mall_coupon("GARDEN", category_ids=[category.id])
    rules, _ = find_coupons(["SPADE", "GARDEN"], tenant_ids=[shop_a.id], now=NOW)
    by_code = {rule.code: rule for rule in rules}
    assert by_code["SPADE"].product_ids == {product_id}
    assert by_code["SPADE"].category_ids == {category.id}
    assert by_code["GARDEN"].product_ids == frozenset()
    assert by_code["GARDEN"].category_ids == {category.id}
    assert by_code["SPADE"].applies_to(
        tenant_id=shop_a.id, product_id=product_id, category_id=category.id
    )
    assert not by_code["SPADE"].applies_to(
        tenant_id=shop_a.id, product_id=uuid4(), category_id=category.id
    )


def test_finding_takes_the_same_queries_for_many_codes_and_shops(app_ctx, make_shop, count_queries):
    shops = [make_shop() for _ in range(4)]
    for n, shop in enumerate(shops):
        shop_coupon(shop, f"CODE{n}", per_customer_limit=2)
    for n in range(3):
        mall_coupon(f"MALL{n}", per_customer_limit=2)

    def counted(codes, tenant_ids) -> int:
        with count_queries() as q:
            rules, _ = find_coupons(codes, tenant_ids=tenant_ids, email_index=EMAIL, now=NOW)
        assert rules
        return q.count

    one = counted(["CODE0", "MALL0"], [shops[0].id])
    many = counted([f"CODE{n}" for n in range(4)] + ["MALL0", "MALL1", "MALL2", "NONE"],
                   [shop.id for shop in shops])  # fmt: skip
    assert one == many <= 4


# ---------------------------------------------------------------- redeeming


def test_redeeming_twice_for_one_checkout_counts_once(app_ctx, shop_a):
    shop = shop_coupon(shop_a, "TWICE", usage_limit=5)
    mall = mall_coupon("MTWICE", usage_limit=5)
    rules, _ = find_coupons(["TWICE", "MTWICE"], tenant_ids=[shop_a.id], now=NOW)
    checkout_id = uuid4()
    assert redeem(rules, checkout_id) == 2
    assert redeem(rules, checkout_id) == 0
    assert (times_used(shop), times_used(mall)) == (1, 1)
    assert statuses(checkout_id) == ["held", "held"]


def test_a_coupon_used_up_meanwhile_refuses_and_leaves_nothing(app_ctx, shop_a):
    first = shop_coupon(shop_a, "FIRST")
    last = mall_coupon("LAST", usage_limit=1)
    rules, _ = find_coupons(["FIRST", "LAST"], tenant_ids=[shop_a.id], now=NOW)
    redeem([r for r in rules if r.code == "LAST"], uuid4(), email_index=OTHER_EMAIL)
    checkout_id = uuid4()
    with pytest.raises(CouponError, match="The code LAST has just been used up"):
        redeem(rules, checkout_id)
    assert statuses(checkout_id) == []
    assert (times_used(first), times_used(last)) == (0, 1)


def test_a_coupon_expired_meanwhile_refuses(app_ctx, shop_a):
    shop_coupon(shop_a, "SOON", ends_at=NOW + timedelta(minutes=5))
    rules, _ = find_coupons(["SOON"], tenant_ids=[shop_a.id], now=NOW)
    with pytest.raises(CouponError, match="The code SOON has expired"):
        redeem(rules, uuid4(), now=NOW + timedelta(minutes=10))


def test_the_per_customer_limit_is_checked_at_redemption(app_ctx, shop_a):
    shop_coupon(shop_a, "MINE", per_customer_limit=1)
    rules, _ = find_coupons(["MINE"], tenant_ids=[shop_a.id], now=NOW)
    redeem(rules, uuid4())
    with pytest.raises(CouponError, match="by one customer"):
        redeem(rules, uuid4())
    redeem(rules, uuid4(), email_index=OTHER_EMAIL)
    with pytest.raises(CouponError, match="only with an email address"):
        redeem(rules, uuid4(), email_index=None)


def test_confirming_marks_held_as_used_once(app_ctx, shop_a):
    shop_coupon(shop_a, "PAID")
    mall_coupon("MPAID")
    rules, _ = find_coupons(["PAID", "MPAID"], tenant_ids=[shop_a.id], now=NOW)
    checkout_id = uuid4()
    redeem(rules, checkout_id)
    assert confirm_redemptions(checkout_id) == 2
    assert confirm_redemptions(checkout_id) == 0
    assert statuses(checkout_id) == ["used", "used"]
    assert release_redemptions(checkout_id) == 0  # a paid checkout keeps its uses


def test_releasing_gives_the_use_back_exactly_once(app_ctx, shop_a):
    shop = shop_coupon(shop_a, "BACK", usage_limit=1)
    mall = mall_coupon("MBACK", usage_limit=1)
    rules, _ = find_coupons(["BACK", "MBACK"], tenant_ids=[shop_a.id], now=NOW)
    checkout_id = uuid4()
    redeem(rules, checkout_id)
    assert release_redemptions(checkout_id) == 2
    assert release_redemptions(checkout_id) == 0
    assert (times_used(shop), times_used(mall)) == (0, 0)
    assert statuses(checkout_id) == ["released", "released"]
    assert confirm_redemptions(checkout_id) == 0
    # The use is free again for another checkout.
    assert redeem(rules, uuid4()) == 2


# ---------------------------------------------------------------- editing


def test_bad_input_names_every_field_and_saves_nothing(app_ctx, shop_a):
    shop_coupon(shop_a, "TAKEN")
    with tenant_context(shop_a), pytest.raises(InvalidCoupon) as refused:
        editing.create_shop_coupon(
            CouponInput(
                code="taken",
                kind="percent",
                percent_bp=0,
                starts_at=NOW,
                ends_at=NOW,
                usage_limit=0,
                product_ids=[uuid4()],
            )
        )
    assert refused.value.errors == {
        "code": "Another coupon already has the code TAKEN.",
        "percent": "Enter a percentage above 0 and at most 100.",
        "ends_on": "The coupon must end after it starts.",
        "usage_limit": "Enter a whole number from 1 to 1,000,000,000.",
        "products": "Choose products from the list.",
    }
    db.session.rollback()
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ShopCoupon)) == 1


def test_the_same_code_may_be_a_coupon_of_two_shops_and_the_mall(app_ctx, shop_a, shop_b):
    shop_coupon(shop_a, "SAME")
    shop_coupon(shop_b, "SAME")
    mall_coupon("SAME")
    with pytest.raises(InvalidCoupon, match="Another coupon already has the code SAME"):
        mall_coupon("same")
