"""Affiliate coupons: a shop links its coupon to an affiliate who may earn there, the
operator links a mall coupon; a sale using the coupon is then the affiliate's, and the
affiliate sees the code on their page. Linking twice changes nothing; each change audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from affiliates.models import (
    AffiliateStatus,
    ShopAffiliate,
    ShopAffiliateStatus,
    Source,
)
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.coupons.rules import CouponKind
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.affiliates.test_attribution import (
    commissions_of,
    make_affiliate,
    paid_order,
    shop_terms,
    winner,
)

SHOP = "/shop/shop-a/admin/affiliates/coupons/"
CONSOLE = "/admin/affiliates/coupons/"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return response.get_data(as_text=True)


def audits(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def shop_coupon(shop, code: str) -> ShopCoupon:
    with tenant_context(shop):
        coupon = ShopCoupon(tenant_id=shop.id, code=code, kind=CouponKind.PERCENT, percent_bp=1000)
        db.session.add(coupon)
        db.session.flush()
    db.session.commit()
    return coupon


def coupon_id_of(shop, coupon: ShopCoupon):
    with tenant_context(shop):
        return coupon.id


def linked(shop, code: str):
    db.session.expire_all()
    with tenant_context(shop):
        return db.session.scalar(sa.select(ShopCoupon.affiliate_id).where(ShopCoupon.code == code))


def test_the_owner_links_a_coupon_and_its_sale_is_the_affiliates(
    client, member_of_a, shop_a, make_user, sign_in, no_csrf
):
    ada = make_affiliate(make_user("ada@aff.example.net"))
    coupon = shop_coupon(shop_a, "ADA10")
    done = client.post(SHOP, data={"coupon_code": "ada10", "affiliate_code": ada.code.lower()})
    again = client.post(SHOP, data={"coupon_code": "ADA10", "affiliate_code": ada.code})
    assert done.status_code == again.status_code == 303
    assert linked(shop_a, "ADA10") == ada.id
    assert audits("coupon.affiliate_set") == 1
    page = text(client.get(SHOP))
    assert "already" in page and ada.code in page

    order_id = paid_order(shop_a, coupon=coupon)
    assert winner(shop_a, order_id) == ada
    assert commissions_of(shop_a, order_id)[0].source is Source.COUPON

    sign_in(db.session.get(type(member_of_a), ada.user_id))
    home = text(client.get("/affiliates/home"))
    assert "Your coupon codes" in home and "ADA10" in home and "Shop A" in home


def test_unlinking_stops_the_attribution(client, member_of_a, shop_a, no_csrf):
    ada = make_affiliate()
    coupon = shop_coupon(shop_a, "ADA11")
    coupon_id = coupon_id_of(shop_a, coupon)
    client.post(SHOP, data={"coupon_code": "ADA11", "affiliate_code": ada.code})
    assert client.post(f"{SHOP}{coupon_id}/unlink").status_code == 303
    assert client.post(f"{SHOP}{coupon_id}/unlink").status_code == 303  # twice: nothing
    assert linked(shop_a, "ADA11") is None
    assert audits("coupon.affiliate_removed") == 1
    assert winner(shop_a, paid_order(shop_a, coupon=coupon)) is None


def test_only_an_affiliate_who_may_earn_in_the_shop_is_linked(client, member_of_a, shop_a, no_csrf):
    shop_terms(shop_a, in_mall_program=False, private_program=True)
    outsider, member = make_affiliate(), make_affiliate()
    suspended = make_affiliate(status=AffiliateStatus.SUSPENDED)
    with tenant_context(shop_a):
        db.session.add(
            ShopAffiliate(
                tenant_id=shop_a.id, affiliate_id=member.id, status=ShopAffiliateStatus.ACTIVE
            )
        )
        db.session.flush()
    db.session.commit()
    shop_coupon(shop_a, "PRIV10")
    refused = client.post(SHOP, data={"coupon_code": "PRIV10", "affiliate_code": outsider.code})
    assert refused.status_code == 409
    assert "This affiliate cannot earn in your shop" in text(refused)
    for code in (suspended.code, "NOSUCH-1", "bad code!"):
        refused = client.post(SHOP, data={"coupon_code": "PRIV10", "affiliate_code": code})
        assert refused.status_code == 409
        assert "No approved affiliate has this code." in text(refused)
    empty = client.post(SHOP, data={"coupon_code": "", "affiliate_code": ""})
    assert empty.status_code == 400 and "Enter the coupon" in text(empty)
    assert linked(shop_a, "PRIV10") is None
    ok = client.post(SHOP, data={"coupon_code": "PRIV10", "affiliate_code": member.code})
    assert ok.status_code == 303 and linked(shop_a, "PRIV10") == member.id


def test_another_shops_coupon_is_not_found(client, member_of_a, shop_a, shop_b, no_csrf):
    ada = make_affiliate()
    theirs = coupon_id_of(shop_b, shop_coupon(shop_b, "BEE10"))
    refused = client.post(SHOP, data={"coupon_code": "BEE10", "affiliate_code": ada.code})
    assert refused.status_code == 409
    assert "Your shop has no coupon with this code." in text(refused)
    assert client.post(f"{SHOP}{theirs}/unlink").status_code == 404
    assert linked(shop_b, "BEE10") is None


def test_staff_cannot_link_coupons(client, shop_a, make_user, sign_in, no_csrf):
    from mall.shops.models import Membership, Role

    staff = make_user("staff@example.com")
    db.session.add(Membership(user_id=staff.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(staff)
    ada = make_affiliate()
    shop_coupon(shop_a, "STAFF10")
    assert client.get(SHOP).status_code == 403
    client.post(SHOP, data={"coupon_code": "STAFF10", "affiliate_code": ada.code})
    assert linked(shop_a, "STAFF10") is None


def test_the_operator_links_a_mall_coupon(client, operator, make_user, sign_in, shop_a, no_csrf):
    ada = make_affiliate()
    coupon = MallCoupon(code="MALLADA", kind=CouponKind.FIXED, amount=100)
    db.session.add(coupon)
    db.session.commit()
    sign_in(make_user())
    assert client.get(CONSOLE).status_code == 403
    assert (
        client.post(
            CONSOLE, data={"coupon_code": "MALLADA", "affiliate_code": ada.code}
        ).status_code
        == 403
    )
    sign_in(operator)
    done = client.post(CONSOLE, data={"coupon_code": "mallada", "affiliate_code": ada.code})
    assert done.status_code == 303
    assert ada.code in text(client.get(CONSOLE))
    assert winner(shop_a, paid_order(shop_a, coupon=coupon)) == ada
    assert client.post(f"{CONSOLE}{coupon.id}/unlink").status_code == 303
    db.session.expire_all()
    assert db.session.get(MallCoupon, coupon.id).affiliate_id is None
    missing = client.post(CONSOLE, data={"coupon_code": "NOPE", "affiliate_code": ada.code})
    assert missing.status_code == 409 and "There is no mall coupon with this code." in text(missing)
