"""Concurrent checkouts on PostgreSQL never pass a coupon's limits (real commits, threads)."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import uuid4

import sqlalchemy as sa

from mall.coupons import editing
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.coupons.services import CouponError, find_coupons, redeem_coupons
from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.support.committed import committed_app_fixture, needs_committed_pg

BUYERS = 8

pytestmark = needs_committed_pg
committed_app = committed_app_fixture()


def race(app, code: str, tenant_ids: list, email_of) -> tuple[int, list[str]]:
    """``BUYERS`` checkouts redeem ``code`` at once; (how many got it, the refusals)."""
    start = threading.Barrier(BUYERS)
    won, refused, errors = [], [], []

    def buyer(n: int) -> None:
        try:
            with app.app_context():
                rules, _ = find_coupons([code], tenant_ids=tenant_ids)
                start.wait()
                try:
                    redeem_coupons(
                        rules,
                        checkout_id=uuid4(),
                        amounts={rule.coupon_id: 100 for rule in rules},
                        email_index=email_of(n),
                    )
                    db.session.commit()
                    won.append(n)
                except CouponError as error:
                    db.session.rollback()
                    refused.append(str(error))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return len(won), refused


def test_concurrent_checkouts_never_pass_the_usage_limit(committed_app):
    with committed_app.app_context():
        shop = create_shop("coupon-rush", name="Coupon Rush", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            coupon = editing.create_shop_coupon(
                editing.CouponInput(
                    code="RUSH",
                    kind="percent",
                    percent_bp=1000,
                    starts_at=utcnow() - timedelta(days=1),
                    usage_limit=3,
                )
            )
            shop_id, coupon_id = shop.id, coupon.id
        db.session.commit()
    won, refused = race(committed_app, "RUSH", [shop_id], lambda n: bytes([n]) * 32)
    assert (won, len(refused)) == (3, BUYERS - 3)
    assert set(refused) == {"The code RUSH has just been used up."}
    with committed_app.app_context(), tenant_context(shop_id):
        used = db.session.scalar(sa.select(ShopCoupon.times_used).where(ShopCoupon.id == coupon_id))
        assert used == 3


def test_one_customers_concurrent_checkouts_never_pass_their_limit(committed_app):
    with committed_app.app_context():
        coupon = editing.create_mall_coupon(
            editing.CouponInput(
                code="ONEEACH",
                kind="fixed",
                amount=500,
                starts_at=utcnow() - timedelta(days=1),
                per_customer_limit=1,
            ),
            actor_id=None,
        )
        coupon_id = coupon.id
        db.session.commit()
    won, refused = race(committed_app, "ONEEACH", [], lambda n: b"s" * 32)
    assert (won, len(refused)) == (1, BUYERS - 1)
    assert set(refused) == {
        "The code ONEEACH has been used as many times as it can be by one customer."
    }
    with committed_app.app_context():
        used = db.session.scalar(sa.select(MallCoupon.times_used).where(MallCoupon.id == coupon_id))
        assert used == 1
