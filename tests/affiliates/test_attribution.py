"""Which affiliate a paid shop order earns for: coupon, then clicks (last or first), then the
buyer's account when the shop remembers it; never the buyer, never an ineligible affiliate."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from affiliates.models import (
    Affiliate,
    AffiliateClick,
    AffiliateCommission,
    AffiliateStatus,
    AffiliateTerms,
    ShopAffiliate,
    ShopAffiliateStatus,
    Source,
)
from affiliates.programs.settings import save_program_settings
from mall.checkout.models import Checkout
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.coupons.rules import CouponKind
from mall.db import new_id, utcnow
from mall.extensions import db
from mall.money import Party
from mall.orders.models import OrderDiscount
from mall.orders.services import mark_order_paid
from tenants.context import tenant_context
from tests.crawl.orders import place_order
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop

# place_order: 2 x 12.50 less a 1.00 coupon, 10% tax, 5.00 shipping: base 24.00
BASE = 2400
MALL_RATE = 120  # the mall's default 5%


def make_affiliate(
    user=None, *, status: AffiliateStatus = AffiliateStatus.APPROVED, recruited_by=None
) -> Affiliate:
    made = Affiliate(
        code=f"AFF{new_id().hex[-10:].upper()}",
        status=status,
        user_id=user.id if user is not None else None,
        recruited_by_id=recruited_by.id if recruited_by is not None else None,
    )
    db.session.add(made)
    db.session.commit()
    return made


def click_entry(affiliate: Affiliate, *, days_ago: float, first_days_ago: float | None = None):
    """A referral cookie entry: the affiliate's latest click ``days_ago``, first one earlier."""
    now = utcnow()
    at = int((now - timedelta(days=days_ago)).timestamp())
    first = int((now - timedelta(days=first_days_ago or days_ago)).timestamp())
    return {"a": affiliate.id.hex, "first": first, "at": at}


def paid_order(shop, *, referral=(), user=None, email: str | None = None, coupon=None):
    """A shop order paid through a checkout holding ``referral`` at submission; its id."""
    with tenant_context(shop):
        order = place_order(shop)
        checkout = db.session.get(Checkout, order.checkout_id)
        checkout.referral = list(referral)
        checkout.submitted_at = utcnow()
        if user is not None:
            checkout.user_id = user.id
            order.user_id = user.id
        if email is not None:
            checkout.email = email
        if coupon is not None:
            db.session.add(
                OrderDiscount(
                    tenant_id=shop.id,
                    order_id=order.id,
                    code=coupon.code,
                    coupon_id=coupon.id,
                    funded_by=Party.SHOP if isinstance(coupon, ShopCoupon) else Party.PLATFORM,
                    amount=0,
                )
            )
        db.session.flush()
        assert mark_order_paid(order)
        order_id = order.id
    db.session.commit()
    return order_id


def commissions_of(shop, order_id) -> list[AffiliateCommission]:
    with tenant_context(shop):
        return list(
            db.session.scalars(
                sa.select(AffiliateCommission)
                .where(AffiliateCommission.order_id == order_id)
                .order_by(AffiliateCommission.tier, AffiliateCommission.created_at)
            )
        )


def winner(shop, order_id) -> Affiliate | None:
    rows = [row for row in commissions_of(shop, order_id) if row.tier == 1]
    assert len(rows) <= 1
    return db.session.get(Affiliate, rows[0].affiliate_id) if rows else None


def shop_terms(shop, **values) -> None:
    with tenant_context(shop):
        db.session.add(AffiliateTerms(tenant_id=shop.id, **values))
        db.session.flush()
    db.session.commit()


# ---------------------------------------------------------------- clicks


def test_the_newest_click_wins_under_the_last_click_rule(app_ctx, shop_a):
    older, newer = make_affiliate(), make_affiliate()
    order_id = paid_order(
        shop_a,
        referral=[click_entry(older, days_ago=5, first_days_ago=9), click_entry(newer, days_ago=1)],
    )
    assert winner(shop_a, order_id) == newer
    (row,) = commissions_of(shop_a, order_id)
    assert (row.source, row.base, row.amount, row.rule) == (Source.CLICK, BASE, MALL_RATE, "mall")
    assert row.clicked_at is not None


def test_the_oldest_first_click_wins_under_the_first_click_rule(app_ctx, shop_a):
    save_program_settings({"attribution": "first"}, actor_id=None)
    older, newer = make_affiliate(), make_affiliate()
    order_id = paid_order(
        shop_a,
        # The older affiliate was clicked again lately: its first click still counts.
        referral=[click_entry(newer, days_ago=3), click_entry(older, days_ago=1, first_days_ago=9)],
    )
    assert winner(shop_a, order_id) == older


def test_a_click_older_than_the_cookie_lifetime_earns_nothing(app_ctx, shop_a):
    gone = make_affiliate()
    order_id = paid_order(shop_a, referral=[click_entry(gone, days_ago=31)])
    assert commissions_of(shop_a, order_id) == []


def test_a_shorter_cookie_lifetime_applies_at_payment(app_ctx, shop_a):
    save_program_settings({"cookie_days": 7}, actor_id=None)
    aged, fresh = make_affiliate(), make_affiliate()
    order_id = paid_order(
        shop_a, referral=[click_entry(fresh, days_ago=6), click_entry(aged, days_ago=8)]
    )
    assert winner(shop_a, order_id) == fresh
    other = paid_order(shop_a, referral=[click_entry(aged, days_ago=8)])
    assert commissions_of(shop_a, other) == []


def test_an_opted_out_shop_skips_the_newer_click_for_its_own_older_affiliate(
    app_ctx, shop_a, shop_b
):
    outsider, member = make_affiliate(), make_affiliate()
    shop_terms(shop_a, in_mall_program=False, private_program=True)
    with tenant_context(shop_a):
        db.session.add(
            ShopAffiliate(
                tenant_id=shop_a.id, affiliate_id=member.id, status=ShopAffiliateStatus.ACTIVE
            )
        )
        db.session.flush()
    db.session.commit()
    referral = [click_entry(member, days_ago=4), click_entry(outsider, days_ago=1)]
    assert winner(shop_a, paid_order(shop_a, referral=referral)) == member
    # The same cookie in a shop of the mall program: the newest click wins there.
    assert winner(shop_b, paid_order(shop_b, referral=referral)) == outsider


def test_an_opted_out_shop_pays_no_mall_affiliate(app_ctx, shop_a):
    shop_terms(shop_a, in_mall_program=False)
    order_id = paid_order(shop_a, referral=[click_entry(make_affiliate(), days_ago=1)])
    assert commissions_of(shop_a, order_id) == []


def test_a_suspended_affiliate_earns_nothing_on_later_sales(app_ctx, shop_a):
    affiliate = make_affiliate()
    referral = [click_entry(affiliate, days_ago=1)]
    assert winner(shop_a, paid_order(shop_a, referral=referral)) == affiliate
    affiliate.status = AffiliateStatus.SUSPENDED
    db.session.commit()
    assert commissions_of(shop_a, paid_order(shop_a, referral=referral)) == []


def test_an_unknown_or_malformed_entry_is_ignored(app_ctx, shop_a):
    real = make_affiliate()
    referral = [
        {"a": new_id().hex, "first": 1, "at": int(utcnow().timestamp())},
        {"a": "not-an-id", "first": "x", "at": None},
        click_entry(real, days_ago=2),
    ]
    assert winner(shop_a, paid_order(shop_a, referral=referral)) == real


# ---------------------------------------------------------------- coupons


def test_an_affiliates_shop_coupon_beats_a_newer_click(app_ctx, shop_a):
    by_coupon, by_click = make_affiliate(), make_affiliate()
    with tenant_context(shop_a):
        coupon = ShopCoupon(
            tenant_id=shop_a.id,
            code="SARAH10",
            kind=CouponKind.PERCENT,
            percent_bp=1000,
            affiliate_id=by_coupon.id,
        )
        db.session.add(coupon)
        db.session.flush()
    db.session.commit()
    order_id = paid_order(shop_a, referral=[click_entry(by_click, days_ago=0.1)], coupon=coupon)
    assert winner(shop_a, order_id) == by_coupon
    assert commissions_of(shop_a, order_id)[0].source is Source.COUPON
    assert commissions_of(shop_a, order_id)[0].clicked_at is None


def test_a_mall_coupon_attributes_without_any_click(app_ctx, shop_a):
    affiliate = make_affiliate()
    coupon = MallCoupon(
        code=f"M{new_id().hex[-10:].upper()}",
        kind=CouponKind.FIXED,
        amount=100,
        affiliate_id=affiliate.id,
    )
    db.session.add(coupon)
    db.session.commit()
    assert winner(shop_a, paid_order(shop_a, coupon=coupon)) == affiliate


def test_a_suspended_affiliates_coupon_leaves_the_sale_to_the_click(app_ctx, shop_a):
    suspended, by_click = make_affiliate(status=AffiliateStatus.SUSPENDED), make_affiliate()
    with tenant_context(shop_a):
        coupon = ShopCoupon(
            tenant_id=shop_a.id,
            code="OLDCODE",
            kind=CouponKind.PERCENT,
            percent_bp=500,
            affiliate_id=suspended.id,
        )
        db.session.add(coupon)
        db.session.flush()
    db.session.commit()
    order_id = paid_order(shop_a, referral=[click_entry(by_click, days_ago=1)], coupon=coupon)
    assert winner(shop_a, order_id) == by_click


# ---------------------------------------------------------------- self-referral, lifetime


def test_an_affiliate_buying_through_their_own_link_earns_nothing(app_ctx, shop_a, make_user):
    user = make_user("sam@example.com")
    own = make_affiliate(user)
    order_id = paid_order(shop_a, referral=[click_entry(own, days_ago=1)], user=user)
    assert commissions_of(shop_a, order_id) == []


def test_a_guest_checkout_with_the_affiliates_email_earns_nothing(app_ctx, shop_a, make_user):
    own = make_affiliate(make_user("sam@example.com"))
    order_id = paid_order(
        shop_a, referral=[click_entry(own, days_ago=1)], email="  Sam@Example.com "
    )
    assert commissions_of(shop_a, order_id) == []
    # Another buyer's email: the same link earns.
    other = paid_order(shop_a, referral=[click_entry(own, days_ago=1)], email="kim@example.com")
    assert winner(shop_a, other) == own


def test_lifetime_attribution_remembers_the_buyer_only_where_enabled(
    app_ctx, shop_a, shop_b, make_user
):
    shop_terms(shop_a, lifetime_attribution=True)
    buyer = make_user("lou@example.com")
    affiliate = make_affiliate()
    for shop in (shop_a, shop_b):
        first = paid_order(shop, referral=[click_entry(affiliate, days_ago=1)], user=buyer)
        assert winner(shop, first) == affiliate
    again = paid_order(shop_a, user=buyer)  # months later, no cookie
    assert winner(shop_a, again) == affiliate
    assert commissions_of(shop_a, again)[0].source is Source.LIFETIME
    assert commissions_of(shop_b, paid_order(shop_b, user=buyer)) == []
    # Another buyer is not remembered.
    assert commissions_of(shop_a, paid_order(shop_a, user=make_user("max@example.com"))) == []


# ---------------------------------------------------------------- fraud flags


def test_a_sale_after_a_burst_of_clicks_from_one_address_is_flagged(app_ctx, shop_a):
    save_program_settings({"burst_clicks": 3, "burst_minutes": 10}, actor_id=None)
    busy, calm = make_affiliate(), make_affiliate()
    now = utcnow().replace(microsecond=0)
    for minutes in (8, 6, 4, 2, 0):  # five clicks in ten minutes from one address
        db.session.add(
            AffiliateClick(
                affiliate_id=busy.id,
                clicked_at=now - timedelta(minutes=minutes),
                ip_index=b"b" * 32,
            )
        )
    for minutes in (30, 0):
        db.session.add(
            AffiliateClick(
                affiliate_id=calm.id,
                clicked_at=now - timedelta(minutes=minutes),
                ip_index=b"c" * 32,
            )
        )
    db.session.commit()
    at = int(now.timestamp())
    flagged = paid_order(shop_a, referral=[{"a": busy.id.hex, "first": at, "at": at}])
    (row,) = commissions_of(shop_a, flagged)
    assert row.flags == ["burst of clicks from one address"]
    assert not row.needs_review  # a flag for the operator; the review amount holds it
    fine = paid_order(shop_a, referral=[{"a": calm.id.hex, "first": at, "at": at}])
    assert commissions_of(shop_a, fine)[0].flags == []


# ---------------------------------------------------------------- through the pages


def test_a_visitor_following_a_link_and_buying_from_two_shops_earns_two_commissions(
    app, client, make_shop, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    affiliate = make_affiliate()
    code = affiliate.code
    shops = [make_shop("potter", name="Potter"), make_shop("weaver", name="Weaver")]
    stocked = [stock_shop(shop, price=2000, shipping=500) for shop in shops]
    assert client.get(f"/r/{code}?to=/").status_code == 302
    for item in stocked:
        add_to_cart(client, item.variant_id)
    assert place(client, fill_checkout(client)).status_code == 303
    for shop in shops:
        with tenant_context(shop):
            (row,) = db.session.scalars(sa.select(AffiliateCommission))
            assert (row.affiliate_id, row.source, row.base, row.amount) == (
                affiliate.id,
                Source.CLICK,
                2000,
                100,
            )
