"""The operator's revenue page: commission, platform discounts, refunds and payouts per period,
what shops are owed, a chart, a table and a CSV; operators only; no personal data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from mall.db import utcnow
from mall.extensions import db
from mall.ledger import statements
from mall.ledger.models import Account, EntryKind
from mall.ledger.posting import credit, debit, post
from mall.ledger.statements.periods import month_periods, week_periods
from tests.mall.test_statements import adjust, money_on, pay_out, refund_one, release, sell
from tests.support.shopping import ADDRESS

__all__ = ["money_on"]  # a fixture, imported for these tests

REVENUE = "/admin/revenue"


@pytest.fixture
def shopper(app, client):
    return app.test_client()


@pytest.fixture
def trading(app_ctx, shopper, shop_a, shop_b, money_on):
    """A sells 3 x 9.99 + 5.00 (3.00 commission), refunds one (1.00 of commission back) and
    is paid 10.00; B sells 1 x 20.00 + 5.00 (2.00 commission), is paid 23.00, then refunds
    the item (a debt of 18.00)."""
    a = sell(shopper, shop_a)
    b = sell(shopper, shop_b, price=2000, quantity=1)
    refund_one(a)
    release(a)
    pay_out(shop_a.id, 1000, "a1")
    release(b)
    pay_out(shop_b.id, 2300, "b1")
    refund_one(b, key="rb")
    return a, b


def test_the_months_figures_come_from_the_platforms_accounts(trading):
    revenue = statements.platform_revenue("month")
    assert len(revenue.rows) == 12 and revenue.rows[-1].label == month_periods(1)[0].label
    now = revenue.rows[-1]
    assert now.payments == (2997 + 500) + (2000 + 500)
    assert now.commission == 300 + 200 - 100 - 200  # both refunds returned their commission
    assert now.refunds == 999 + 2000
    assert now.payouts == 1000 + 2300
    assert now.platform_discounts == 0 and now.net_revenue == 200
    assert all(row.commission == 0 and row.payouts == 0 for row in revenue.rows[:-1])
    assert revenue.total.commission == 200
    # Owed now: A's available 31.97 - 9.99 + 1.00 - 10.00; B owes 20.00 - 2.00 after its payout.
    assert revenue.owed.available == 2298 - 1000
    assert revenue.owed.debts == 1800
    assert (revenue.owed.pending, revenue.owed.in_transit, revenue.owed.held) == (0, 0, 0)


def test_weeks_and_returned_payouts(trading, shop_a):
    post(
        EntryKind.PAYOUT_FAILED,
        [debit(Account.PROCESSOR, 1000), credit(Account.SHOP_AVAILABLE, 1000, shop_id=shop_a.id)],
        key="returned:a1",
        ref_type="payout",
        ref_id="a1",
        shop_id=shop_a.id,
    )
    revenue = statements.platform_revenue("week", count=4)
    assert [row.label for row in revenue.rows] == [p.label for p in week_periods(4)]
    assert revenue.rows[-1].payouts == 2300  # A's payout came back
    assert revenue.owed.available == 2298
    later = statements.platform_revenue("month", now=datetime(2099, 1, 1, tzinfo=UTC))
    assert later.total.commission == 0


def test_the_platform_funds_discounts_as_a_cost(app_ctx):
    post(
        EntryKind.ADJUSTMENT,
        [debit(Account.PLATFORM_DISCOUNTS, 250), credit(Account.PROCESSOR, 250)],
        key="promo",
        ref_type="test",
        ref_id="promo",
    )
    row = statements.platform_revenue("month").rows[-1]
    assert row.platform_discounts == 250 and row.net_revenue == -250


def test_a_bad_period_is_refused(app_ctx):
    with pytest.raises(ValueError):
        statements.platform_revenue("decade")


# ---------------------------------------------------------------- the page


def test_the_operator_sees_totals_without_personal_data(client, operator, sign_in, trading):
    adjust(trading[0].shop_id, 5, "note", memo="Goodwill for Ada Lovelace")
    sign_in(operator)
    response = client.get(REVENUE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-current="page">Revenue</a>' in page
    assert "$2.00" in page  # the month's commission
    assert "$33.00" in page  # payouts made
    assert "$18.00" in page  # B's debt
    assert "data-money-series=" in page and "<script>" not in page
    for personal in (
        "ada@example.com",
        ADDRESS["ship-name"],
        ADDRESS["ship-line1"],
        ADDRESS["ship-city"],
        "Goodwill for Ada",
        trading[0].number,
        trading[1].number,
        "Shop A",
        "Shop B",
    ):
        assert personal not in page
    # The totals row stacks on a phone like the others: a body row of its own, not a tfoot
    # (mall.css lays a tfoot row out in one line, too wide for seven cells at 390 px).
    table = page.split('id="revenue-table"')[1].split("</table>")[0]
    assert "<tfoot" not in table
    totals = re.search(r'<tbody[^>]*id="revenue-total"[^>]*>(.*?)</tbody>', table, re.S).group(1)
    assert re.search(r'<th scope="row">Total</th>', totals)
    assert len(re.findall(r'<td data-label="[^"]+"', totals)) == 6
    weekly = client.get(REVENUE + "?period=week")
    assert weekly.status_code == 200 and week_periods(1)[0].label in weekly.get_data(as_text=True)


def test_the_csv(client, operator, sign_in, trading):
    sign_in(operator)
    response = client.get(REVENUE + "/export.csv?period=month")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "period",
        "payments",
        "commission",
        "platform_discounts",
        "refunds",
        "payouts",
        "net_revenue",
        "currency",
    ]
    assert len(rows) == 1 + 12 + 1
    assert rows[-2][0] == f"{utcnow():%Y-%m}" and rows[-2][2] == "2.00"
    assert rows[-1][0] == "Total" and rows[-1][5] == "33.00"


def test_operators_only(client, make_user, sign_in, member_of_a):
    assert client.get(REVENUE).status_code == 403  # a shop owner is no operator
    assert client.get(REVENUE + "/export.csv").status_code == 403
    anonymous = client.application.test_client()
    response = anonymous.get(REVENUE)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("path", [REVENUE, REVENUE + "/export.csv"])
def test_a_bad_period_is_a_400(client, operator, sign_in, path):
    sign_in(operator)
    response = client.get(path + "?period=decade")
    assert response.status_code == 400
    assert "Choose months or weeks." in response.get_data(as_text=True)


def test_the_page_costs_the_same_however_much_happened(
    client, operator, sign_in, shopper, shop_a, money_on, count_queries
):
    sign_in(operator)
    sell(shopper, shop_a)
    with count_queries() as few:
        assert client.get(REVENUE).status_code == 200
    for n in range(5):
        adjust(shop_a.id, 10 + n, f"x{n}")
        sell(shopper, shop_a, price=100 + n, quantity=1, first=False)
    db.session.commit()
    with count_queries() as many:
        assert client.get(REVENUE).status_code == 200
    assert many.count == few.count
