"""A shop's affiliate sales in its back office: its own commissions only, with totals by
status, one page per commission; another shop's commission answers 404."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from affiliates.dashboard.sales import shop_sales
from affiliates.models import Affiliate, AffiliateCommission, AffiliateStatus, CommissionStatus
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order
from mall.pagination import decode_position
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.affiliates_dashboard import make_commission

SALES = "/shop/shop-a/admin/affiliates/sales"


def affiliate(code: str) -> Affiliate:
    made = Affiliate(code=code, status=AffiliateStatus.APPROVED)
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def sunny(app_ctx) -> Affiliate:
    return affiliate("SUNNY")


def text(response) -> str:
    return response.get_data(as_text=True)


def table_rows(html: str, table_id: str) -> list[str]:
    found = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def number_of(shop, commission_id) -> str:
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(Order.number)
            .join(AffiliateCommission, AffiliateCommission.order_id == Order.id)
            .where(AffiliateCommission.id == commission_id)
        )


def test_a_shop_sees_its_own_affiliate_sales_and_totals(client, member_of_a, shop_a, shop_b, sunny):
    moon = affiliate("MOON")
    star = affiliate("STAR")
    now = utcnow()
    older = make_commission(shop_a, affiliate=sunny, amount=120, created_at=now - timedelta(1))
    newer = make_commission(shop_a, affiliate=moon, amount=300, status=CommissionStatus.PAID)
    theirs = make_commission(shop_b, affiliate=star, amount=9999)

    page = text(client.get(SALES))
    rows = table_rows(page, "sales")
    today = now.date().isoformat()
    assert rows == [
        f"{today} : commission on order {number_of(shop_a, newer)} MOON"
        f" {number_of(shop_a, newer)} $60.00 5% $3.00 Paid",
        f"{(now - timedelta(1)).date().isoformat()} : commission on order"
        f" {number_of(shop_a, older)} SUNNY {number_of(shop_a, older)} $24.00 5% $1.20 Pending",
    ]
    assert table_rows(page, "sales-by-status") == [
        "Pending 1 $1.20",
        "Approved 0 $0.00",
        "Paid 1 $3.00",
        "Rejected 0 $0.00",
    ]
    assert "STAR" not in page
    assert "$99.99" not in page
    assert number_of(shop_b, theirs) not in page


def test_one_commission_page_and_another_shops_answers_404(
    client, member_of_a, shop_a, shop_b, sunny
):
    mine = make_commission(shop_a, affiliate=sunny, amount=120)
    theirs = make_commission(shop_b, affiliate=sunny, amount=9999)

    page = client.get(f"{SALES}/{mine}")
    assert page.status_code == 200
    html = text(page)
    assert f"Affiliate commission on order {number_of(shop_a, mine)}" in html
    assert "SUNNY" in html
    assert (
        "A click on the affiliate&#39;s link" in html or "A click on the affiliate's link" in html
    )
    assert "$1.20" in htmllib.unescape(re.search(r'id="sale-amount">(.*?)</dd>', html).group(1))

    assert client.get(f"{SALES}/{theirs}").status_code == 404
    assert client.get(f"{SALES}/not-an-id").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.SALES_REP])
def test_staff_without_money_rights_are_refused(client, shop_a, make_user, sign_in, sunny, role):
    user = make_user("staff@example.com")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=role))
    db.session.commit()
    sign_in(user)
    mine = make_commission(shop_a, affiliate=sunny)
    assert client.get(SALES).status_code == 403
    assert client.get(f"{SALES}/{mine}").status_code == 403


def test_a_manager_sees_them_and_the_terms_page_links_to_them(client, shop_a, make_user, sign_in):
    user = make_user("manager@example.com")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.MANAGER))
    db.session.commit()
    sign_in(user)
    assert 'href="/shop/shop-a/admin/affiliates/sales"' in text(
        client.get("/shop/shop-a/admin/affiliates/")
    )
    page = client.get(SALES)
    assert page.status_code == 200
    assert "No affiliate sales yet." in text(page)


def test_sales_page_by_position_newest_first(shop_a, shop_b, sunny):
    now = utcnow()
    for days_ago in (3, 2, 1):
        make_commission(
            shop_a, affiliate=sunny, amount=100 + days_ago, created_at=now - timedelta(days_ago)
        )
    make_commission(shop_b, affiliate=sunny, amount=999)
    with tenant_context(shop_a):
        first, rows = shop_sales(per_page=2)
        assert [row.commission.amount for row in rows] == [101, 102]
        assert first.total == 3
        _, rows = shop_sales(older_than=decode_position(first.older), per_page=2)
        assert [row.commission.amount for row in rows] == [103]
        assert [row.affiliate_code for row in rows] == ["SUNNY"]


def test_the_list_costs_the_same_with_one_or_many_sales(
    client, member_of_a, shop_a, sunny, count_queries
):
    make_commission(shop_a, affiliate=sunny)
    client.get(SALES)
    with count_queries() as few:
        client.get(SALES)
    for n in range(4):
        make_commission(shop_a, affiliate=affiliate(f"MORE-{n}"))
    with count_queries() as many:
        page = client.get(SALES)
    assert len(table_rows(text(page), "sales")) == 5
    assert many.count == few.count


# ------------------------------------------------ what happened to a commission, in words


def sold_id(shop, affiliate=None):
    """A real sale through the affiliate's link: (order id, commission id)."""
    from tests.affiliates.test_commissions import make_affiliate, sold

    order_id, row = sold(shop, affiliate or make_affiliate())
    with tenant_context(shop):
        return order_id, row.id


def sale_amount(html: str) -> str:
    found = re.search(r'id="sale-amount">(.*?)</dd>', html, re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_a_commission_rejected_by_the_mall_says_so_and_names_no_refund(client, member_of_a, shop_a):
    from affiliates.reviews.services import decide

    _, row_id = sold_id(shop_a)
    assert decide(row_id, approve=False, actor_id=None)
    db.session.commit()

    html = text(client.get(f"{SALES}/{row_id}"))
    assert sale_amount(html) == (
        "$0.00 Rejected by the mall's review: you pay nothing (it was $1.20 at the sale)."
    )
    assert "refund" not in sale_amount(html)
    assert table_rows(html, "sale-changes")[0].endswith(
        "Rejected by the mall's review (the order itself was not refunded) \u2212$1.20"
    )
    (listed,) = table_rows(text(client.get(SALES)), "sales")
    assert "$0.00 Rejected by the mall's review" in listed and "refund" not in listed


def test_refunds_show_as_refunds_and_a_full_one_as_taken_back(client, member_of_a, shop_a):
    from tests.affiliates.test_commissions import refund

    order_id, row_id = sold_id(shop_a)
    refund(shop_a, order_id, units=1)
    html = text(client.get(f"{SALES}/{row_id}"))
    assert sale_amount(html) == "$0.60 Reduced by refunds (it was $1.20 at the sale)."
    assert [line.split(" ", 1)[1] for line in table_rows(html, "sale-changes")] == [
        "A refund of the order \u2212$0.60"
    ]

    refund(shop_a, order_id, units=1, key="r2")
    html = text(client.get(f"{SALES}/{row_id}"))
    assert sale_amount(html).startswith("$0.00 Taken back in full: the order was refunded")
    assert "review" not in sale_amount(html)
    assert [line.split(" ", 1)[1] for line in table_rows(html, "sale-changes")] == [
        "A refund of the order \u2212$0.60",
        "A refund of the order \u2212$0.60",
    ]


def test_a_cancelled_paid_order_and_a_refund_after_payout_say_what_happened(
    client, member_of_a, shop_a
):
    from mall.orders.refunds import cancel_paid_order
    from tests.affiliates.test_commissions import pay_out, refund, run_approval

    order_id, cancelled = sold_id(shop_a)
    with tenant_context(shop_a):
        order = db.session.get(Order, (shop_a.id, order_id))
        assert cancel_paid_order(order, actor_id=None, reason="out of glaze", key="c1")
    db.session.commit()
    html = text(client.get(f"{SALES}/{cancelled}"))
    # Cancelling a paid order refunds it in full: that refund took the commission back.
    assert [line.split(" ", 1)[1] for line in table_rows(html, "sale-changes")] == [
        "A refund of the order \u2212$1.20"
    ]
    assert sale_amount(html).startswith("$0.00 Taken back in full")

    order_id, paid = sold_id(shop_a)
    assert run_approval(31) == 1
    with tenant_context(shop_a):
        pay_out(shop_a, db.session.get(AffiliateCommission, (shop_a.id, paid)))
    db.session.commit()
    refund(shop_a, order_id, units=1)
    html = text(client.get(f"{SALES}/{paid}"))
    assert sale_amount(html) == "$1.20"  # the paid sale keeps its amount; the clawback takes it
    assert [line.split(" ", 1)[1] for line in table_rows(html, "sale-changes")] == [
        "A refund after the commission was paid: taken from the affiliate's next payout \u2212$0.60"
    ]
