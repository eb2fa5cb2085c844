"""The affiliate's dashboard: numbers from the daily rollups of the period, commissions in every
shop by status and newest first, top landing pages, payouts; only the affiliate's own, at a
query cost that does not grow with the clicks or the rows."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from affiliates.dashboard.numbers import latest_commissions
from affiliates.models import (
    Affiliate,
    AffiliateClick,
    AffiliateDailyPage,
    AffiliateDailyStat,
    AffiliatePayout,
    AffiliatePayoutBatch,
    AffiliatePayoutStatus,
    AffiliateStatus,
    CommissionStatus,
    PayoutMethod,
)
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order
from tenants.context import tenant_context
from tests.crawl.affiliates_dashboard import make_commission

DASHBOARD = "/affiliates/dashboard"


def today() -> date:
    return utcnow().date()


def affiliate(code: str, *, user=None, status=AffiliateStatus.APPROVED) -> Affiliate:
    made = Affiliate(code=code, status=status, user_id=user.id if user else None)
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def me(make_user, sign_in) -> Affiliate:
    user = make_user("sunny@example.com")
    sign_in(user)
    return affiliate("SUNNY", user=user)


@pytest.fixture
def other(app_ctx) -> Affiliate:
    return affiliate("MOON")


def stat(who: Affiliate, days_ago: int, **numbers: int) -> None:
    db.session.add(
        AffiliateDailyStat(affiliate_id=who.id, day=today() - timedelta(days_ago), **numbers)
    )
    db.session.commit()


def landed(who: Affiliate, days_ago: int, path: str, clicks: int) -> None:
    day = today() - timedelta(days_ago)
    db.session.add(AffiliateDailyPage(affiliate_id=who.id, day=day, path=path, clicks=clicks))
    db.session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


def shown(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return htmllib.unescape(found.group(1)).strip()


def table_rows(html: str, table_id: str) -> list[str]:
    found = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def order_number(shop, commission_id) -> str:
    from affiliates.models import AffiliateCommission

    with tenant_context(shop):
        return db.session.scalar(
            sa.select(Order.number)
            .join(AffiliateCommission, AffiliateCommission.order_id == Order.id)
            .where(AffiliateCommission.id == commission_id)
        )


# ---------------------------------------------------------------- who sees it


def test_anonymous_visitors_are_asked_to_sign_in(client, app_ctx):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("status", [None, AffiliateStatus.APPLIED, AffiliateStatus.REJECTED])
def test_people_who_are_not_approved_affiliates_go_to_their_affiliate_page(
    client, make_user, sign_in, status
):
    user = make_user("hopeful@example.com")
    sign_in(user)
    if status is not None:
        db.session.add(Affiliate(user_id=user.id, status=status))
        db.session.commit()
    for path in (DASHBOARD, "/affiliates/links"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/affiliates/home")
    assert "once you are an approved affiliate" in text(client.get("/affiliates/home"))


def test_a_suspended_affiliate_still_sees_their_history_but_builds_no_links(client, me):
    stat(me, 1, clicks=4)
    me.status = AffiliateStatus.SUSPENDED
    db.session.commit()
    page = text(client.get(DASHBOARD))
    assert "Your affiliate account is suspended" in page
    assert shown(page, "stat-clicks") == "4"
    assert client.get("/affiliates/links").status_code == 303


def test_the_affiliate_page_links_to_the_dashboard(client, me):
    page = text(client.get("/affiliates/home"))
    assert 'href="/affiliates/dashboard"' in page
    assert 'href="/affiliates/links"' in page


# ---------------------------------------------------------------- numbers


def test_totals_come_from_the_rollups_of_the_last_30_or_90_days(client, me, other):
    stat(me, 0, clicks=10, visitors=8, conversions=1, earned=500)
    stat(me, 20, clicks=30, visitors=20, conversions=2, earned=1000, discounted_clicks=5)
    stat(me, 40, clicks=60, visitors=40, conversions=3, earned=1500)
    stat(me, 100, clicks=7000, visitors=7000, conversions=70, earned=70000)
    stat(other, 0, clicks=999, visitors=999, conversions=99, earned=99999)

    page = text(client.get(DASHBOARD))
    assert shown(page, "stat-clicks") == "40"
    assert shown(page, "stat-visitors") == "28"
    assert shown(page, "stat-conversions") == "3"
    assert shown(page, "stat-rate") == "7.5%"
    assert shown(page, "stat-epc") == "$0.38"  # 1,500 / 40 = 37.5, half-up
    assert shown(page, "stat-earned") == "$15.00"
    assert "5 of the clicks came in bursts" in page
    assert 'aria-current="page">Last 30 days' in page

    page = text(client.get(f"{DASHBOARD}?days=90"))
    assert shown(page, "stat-clicks") == "100"
    assert shown(page, "stat-conversions") == "6"
    assert shown(page, "stat-rate") == "6%"
    assert shown(page, "stat-epc") == "$0.30"
    assert shown(page, "stat-earned") == "$30.00"
    assert 'aria-current="page">Last 90 days' in page
    assert len(table_rows(page, "daily-table")) == 90

    assert shown(text(client.get(f"{DASHBOARD}?days=7")), "stat-clicks") == "40"


def test_the_chart_and_its_table_have_one_row_per_day(client, me):
    stat(me, 0, clicks=10, conversions=1, earned=500)
    stat(me, 2, clicks=3)
    page = text(client.get(DASHBOARD))
    rows = table_rows(page, "daily-table")
    assert len(rows) == 30
    assert rows[-1] == f"{today().isoformat()} 10 0 1 $5.00"
    assert rows[-3] == f"{(today() - timedelta(2)).isoformat()} 3 0 0 $0.00"
    assert rows[-2] == f"{(today() - timedelta(1)).isoformat()} 0 0 0 $0.00"
    series = re.search(r"data-money-series='([^']*)'", page).group(1)
    assert '"label": "Clicks"' in htmllib.unescape(series)
    assert htmllib.unescape(series).count("[") == 4  # labels, datasets, two series


def test_no_clicks_shows_no_ratio(client, me):
    page = text(client.get(DASHBOARD))
    assert shown(page, "stat-clicks") == "0"
    assert shown(page, "stat-rate") == "—"
    assert shown(page, "stat-epc") == "—"
    assert "No clicks on your links" in page
    assert "No commissions yet" in page
    assert "No payouts yet" in page


def test_top_landing_pages_sum_the_period_and_show_ten(client, me, other):
    landed(me, 0, "/shop/acme/", 5)
    landed(me, 2, "/shop/acme/", 3)
    landed(me, 1, "/search", 6)
    for n in range(10):
        landed(me, 3, f"/page-{n}", 1)
    landed(me, 60, "/long-ago", 50)
    landed(other, 0, "/secret-of-moon", 100)

    page = text(client.get(DASHBOARD))
    rows = table_rows(page, "top-pages")
    assert rows[:2] == ["/shop/acme/ 8", "/search 6"]
    assert len(rows) == 10
    assert "/long-ago" not in page
    assert "/secret-of-moon" not in page

    rows = table_rows(text(client.get(f"{DASHBOARD}?days=90")), "top-pages")
    assert rows[0] == "/long-ago 50"


# ---------------------------------------------------------------- commissions and payouts


def test_commissions_by_status_and_the_latest_ones_in_every_shop(client, me, other, shop_a, shop_b):
    now = utcnow()
    pending = make_commission(shop_a, affiliate=me, amount=120, created_at=now - timedelta(3))
    make_commission(
        shop_b,
        affiliate=me,
        amount=300,
        status=CommissionStatus.APPROVED,
        created_at=now - timedelta(2),
    )
    make_commission(shop_a, affiliate=me, amount=200, status=CommissionStatus.APPROVED)
    make_commission(shop_b, affiliate=me, amount=50, status=CommissionStatus.REJECTED)
    theirs = make_commission(shop_a, affiliate=other, amount=7777)

    page = text(client.get(DASHBOARD))
    assert table_rows(page, "by-status") == [
        "Pending 1 $1.20",
        "Approved 2 $5.00",
        "Paid 0 $0.00",
        "Rejected 1 $0.50",
    ]
    rows = table_rows(page, "commissions")
    assert len(rows) == 4
    assert rows[-1].endswith("Shop A " + order_number(shop_a, pending) + " $1.20 Pending")
    assert any(row.startswith(today().isoformat() + " Shop B") for row in rows)
    assert "$77.77" not in page
    assert order_number(shop_a, theirs) not in page
    assert "carol@example.com" not in page  # the buyer's email: customer data stays out


def test_the_latest_commissions_page_by_position(me, shop_a):
    now = utcnow()
    for days_ago in (3, 2, 1):
        make_commission(
            shop_a, affiliate=me, amount=100 + days_ago, created_at=now - timedelta(days_ago)
        )
    first, rows = latest_commissions(me.id, per_page=2)
    assert [row.commission.amount for row in rows] == [101, 102]
    assert first.older and first.first
    from mall.pagination import decode_position

    older, rows = latest_commissions(me.id, older_than=decode_position(first.older), per_page=2)
    assert [row.commission.amount for row in rows] == [103]
    assert older.older is None and older.newer


def test_payouts_are_listed_newest_first(client, me, other):
    batch = AffiliatePayoutBatch(batch_key="batch-1", total=9999)
    db.session.add(batch)
    db.session.flush()
    db.session.add_all(
        [
            AffiliatePayout(
                batch_id=batch.id,
                affiliate_id=me.id,
                amount=4200,
                method=PayoutMethod.PAYPAL,
                status=AffiliatePayoutStatus.PAID,
            ),
            AffiliatePayout(
                batch_id=batch.id,
                affiliate_id=other.id,
                amount=5799,
                method=PayoutMethod.PAYPAL,
            ),
        ]
    )
    db.session.commit()
    page = text(client.get(DASHBOARD))
    assert table_rows(page, "payouts") == [f"{today().isoformat()} $42.00 PayPal Paid"]
    assert "$57.99" not in page


# ---------------------------------------------------------------- cost


def test_the_dashboard_costs_the_same_with_10_or_1000_clicks_and_rows(
    client, me, shop_a, shop_b, count_queries
):
    def grow(clicks: int, pages: int, days: int, shops: list) -> None:
        now = utcnow()
        db.session.execute(
            sa.insert(AffiliateClick),
            [{"affiliate_id": me.id, "clicked_at": now, "landing_path": "/"}] * clicks,
        )
        db.session.execute(
            sa.insert(AffiliateDailyPage),
            [
                {
                    "affiliate_id": me.id,
                    "day": today() - timedelta(n % days),
                    "path": f"/p{pages}-{n}",
                    "clicks": 1,
                }
                for n in range(pages)
            ],
        )
        db.session.execute(
            sa.insert(AffiliateDailyStat),
            [
                {"affiliate_id": me.id, "day": today() - timedelta(n), "clicks": 3}
                for n in range(days)
            ],
        )
        db.session.commit()
        for shop in shops:
            make_commission(shop, affiliate=me)

    grow(10, 10, 3, [shop_a])
    client.get(DASHBOARD)  # warm: the session's account, the key service
    with count_queries() as few:
        assert client.get(f"{DASHBOARD}?days=90").status_code == 200

    db.session.execute(sa.delete(AffiliateDailyStat))
    grow(1000, 1000, 90, [shop_a, shop_b, shop_b])
    with count_queries() as many:
        page = client.get(f"{DASHBOARD}?days=90")
    assert page.status_code == 200
    assert shown(text(page), "stat-clicks") == "270"
    assert many.count == few.count, many.statements
    # Eleven statements, and on PostgreSQL the scope set to every shop once and back once
    # (the test's savepoint adds one: each request starts by setting it).
    assert few.count <= 11, few.statements
    assert few.scope_sets <= (3 if db.engine.dialect.name == "postgresql" else 0)


def test_an_affiliate_without_commissions_costs_no_commission_queries(
    client, me, other, shop_a, count_queries
):
    make_commission(shop_a, affiliate=other, amount=7777)
    client.get(DASHBOARD)  # warm: the session's account, the key service
    made_up = "1700000000000000-" + "ab" * 16  # a position from a link, no row of mine
    for url in (DASHBOARD, f"{DASHBOARD}?older={made_up}", f"{DASHBOARD}?newer={made_up}"):
        with count_queries() as counted:
            page = client.get(url)
        assert page.status_code == 200
        assert "No commissions yet" in text(page)
        assert "Commission pages" not in text(page)
        assert "$77.77" not in text(page)
        assert table_rows(text(page), "by-status")[0] == "Pending 0 $0.00"
        assert counted.count <= 8, counted.statements
