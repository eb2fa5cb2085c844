"""The shop's coupon pages (back office) and the operator's mall coupon pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.coupons import editing
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.db import utcnow
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context

ADMIN = "/shop/shop-a/admin/coupons"


def csrf(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def form(token: str, **values) -> dict:
    data = {
        "csrf_token": token,
        "code": "SAVE10",
        "kind": "percent",
        "percent": "10",
        "starts_on": "2026-01-01",
        "active": "y",
    }
    data.update(values)
    return data


def shop_coupons(shop) -> list[ShopCoupon]:
    db.session.expire_all()  # the requests changed rows in their own sessions
    with tenant_context(shop):
        return list(db.session.scalars(sa.select(ShopCoupon).order_by(ShopCoupon.code)))


def test_an_owner_creates_lists_edits_and_deactivates_a_coupon(client, member_of_a, shop_a):
    token = csrf(client, f"{ADMIN}/new")
    done = client.post(
        f"{ADMIN}/new", data=form(token, code=" save10 ", usage_limit="100", ends_on="2099-12-31")
    )
    assert done.status_code == 303
    [coupon] = shop_coupons(shop_a)
    assert (coupon.code, coupon.percent_bp, coupon.usage_limit) == ("SAVE10", 1000, 100)
    assert coupon.last_day.isoformat() == "2099-12-31"
    listing = client.get(f"{ADMIN}/")
    assert "Coupon SAVE10 is added." in listing.text
    assert "SAVE10" in listing.text and "10% off" in listing.text and "0 of 100" in listing.text

    edit = f"{ADMIN}/{coupon.id}"
    assert 'value="SAVE10"' in client.get(edit).text
    token = csrf(client, edit)
    saved = client.post(edit, data=form(token, kind="fixed", percent="", amount="5.00"))
    assert saved.status_code == 303
    [coupon] = shop_coupons(shop_a)
    assert (coupon.kind.value, coupon.amount, coupon.percent_bp) == ("fixed", 500, 0)

    for _ in range(2):  # a double click changes nothing the second time
        off = client.post(f"{edit}/active", data={"csrf_token": token, "active": "0"})
        assert off.status_code == 303
    assert "Coupon SAVE10 already was deactivated." in client.get(f"{ADMIN}/").text
    assert shop_coupons(shop_a)[0].active is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"code": "ab"}, "Use 3 to 32 letters, digits, dashes (-) or underscores (_)."),
        ({"code": "NO SPACES"}, "Use 3 to 32 letters, digits, dashes (-) or underscores (_)."),
        ({"percent": "0"}, "Enter a percentage above 0 and at most 100."),
        ({"percent": "101"}, "Enter a percentage above 0 and at most 100."),
        ({"percent": "ten"}, "Enter a percentage such as 10 or 12.5."),
        ({"kind": "fixed", "amount": "0"}, "Enter an amount above zero."),
        ({"kind": "fixed", "amount": "abc"}, "Enter an amount such as 12.50."),
        ({"kind": "fixed", "amount": "99999999999999"}, "Enter an amount of at most"),
        ({"starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "The last day cannot be before"),
        ({"starts_on": "9999-12-31"}, "Enter a date from 2000 to 2999."),
        ({"starts_on": "soon"}, "Enter a date such as 2027-03-31."),
        ({"usage_limit": "0"}, "Enter a whole number from 1 to 1,000,000,000."),
        ({"per_customer_limit": "1.5"}, "Enter a whole number."),
        ({"usage_limit": str(2**31)}, "Enter a whole number from 1 to 1,000,000,000."),
        ({"products": "not-an-id"}, "Choose from the list."),
        ({"categories": "0191a3b4-0000-7000-8000-000000000000"}, "Choose categories from"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_saves_nothing(
    client, member_of_a, shop_a, values, message
):
    token = csrf(client, f"{ADMIN}/new")
    refused = client.post(f"{ADMIN}/new", data=form(token, **values))
    assert refused.status_code == 400
    assert message in refused.text
    assert shop_coupons(shop_a) == []


def test_a_duplicate_code_is_refused(client, member_of_a, shop_a):
    token = csrf(client, f"{ADMIN}/new")
    assert client.post(f"{ADMIN}/new", data=form(token)).status_code == 303
    again = client.post(f"{ADMIN}/new", data=form(token, code="save10"))
    assert again.status_code == 400
    assert "Another coupon already has the code SAVE10." in again.text
    assert len(shop_coupons(shop_a)) == 1


def test_another_shops_coupon_answers_404(client, member_of_a, shop_a, shop_b):
    with tenant_context(shop_b):
        other = editing.create_shop_coupon(
            editing.CouponInput(code="BSHOP", kind="percent", percent_bp=500, starts_at=utcnow())
        )
        other_id = other.id
    db.session.commit()
    token = csrf(client, f"{ADMIN}/new")
    assert client.get(f"{ADMIN}/{other_id}").status_code == 404
    assert client.post(f"{ADMIN}/{other_id}", data=form(token)).status_code == 404
    off = client.post(f"{ADMIN}/{other_id}/active", data={"csrf_token": token, "active": "0"})
    assert off.status_code == 404
    assert shop_coupons(shop_b)[0].active is True


def test_staff_without_shop_settings_cannot_see_coupons(client, shop_a, make_user, sign_in):
    staff = make_user()
    db.session.add(Membership(user_id=staff.id, tenant_id=shop_a.id, role=Role.STAFF))
    db.session.commit()
    sign_in(staff)
    assert client.get(f"{ADMIN}/").status_code in (403, 404)


# ---------------------------------------------------------------- operator console


def test_an_operator_creates_a_mall_coupon(client, operator, sign_in):
    sign_in(operator)
    token = csrf(client, "/admin/coupons/new")
    assert "Only these products" not in client.get("/admin/coupons/new").text
    done = client.post(
        "/admin/coupons/new", data=form(token, code="mall5", kind="fixed", amount="5")
    )
    assert done.status_code == 303
    coupon = db.session.scalar(sa.select(MallCoupon))
    assert (coupon.code, coupon.amount, coupon.created_by_id) == ("MALL5", 500, operator.id)
    listing = client.get("/admin/coupons/")
    assert "Mall coupon MALL5 is added." in listing.text and "$5.00 off" in listing.text
    refused = client.post("/admin/coupons/new", data=form(token, code="x"))
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MallCoupon)) == 1


def test_the_console_is_for_operators_only(client, member_of_a):
    assert client.get("/admin/coupons/").status_code == 403
    token = csrf(client, f"{ADMIN}/new")
    refused = client.post("/admin/coupons/new", data=form(token, code="SNEAKY"))
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MallCoupon)) == 0
