"""The shop's Money page: balances, "payable — blocked", chart, statement, rates, payouts, CSVs;
owners and managers only; shop A never sees shop B's lines or payouts; flat query count."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from mall.db import utcnow
from mall.extensions import db
from mall.ledger import statements
from mall.ledger.models import Payout, PayoutAccount, PayoutMethod, PayoutStatus
from mall.ledger.release import HOLDING_DAYS
from mall.ledger.statements import page_cursor
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.settings import put_setting
from tests.mall.test_statements import adjust, money_on, pay_out, refund_one, release, sell
from tests.support.tokens import tampered

__all__ = ["money_on"]  # a fixture, imported for these tests

MONEY = "/shop/shop-a/admin/money/"


@pytest.fixture
def shopper(app, client):
    """A customer's own browser (``client`` is the shop member's)."""
    return app.test_client()


@pytest.fixture
def sold(app_ctx, shopper, shop_a, money_on):
    return sell(shopper, shop_a)


def add_payout(shop, amount: int, key: str, *, status=PayoutStatus.PAID, day: int = 1) -> UUID:
    """A payout of the shop (as h6's run makes them); its id."""
    with tenant_context(shop):
        payout = Payout(
            method=PayoutMethod.MANUAL,
            status=status,
            amount=amount,
            currency="USD",
            idempotency_key=key,
            created_at=datetime(2026, 1, day, tzinfo=UTC),
            paid_at=datetime(2026, 1, day + 1, tzinfo=UTC) if status is PayoutStatus.PAID else None,
        )
        db.session.add(payout)
        db.session.commit()
        return payout.id


def member(shop, make_user, role: Role, email: str):
    user = make_user(email)
    db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
    db.session.commit()
    return user


def text_of(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- what the page shows


def test_the_owner_sees_balances_the_statement_and_the_chart(client, member_of_a, sold):
    refund_one(sold)
    response = client.get(MONEY)
    assert response.status_code == 200
    page = text_of(response)
    assert 'aria-current="page">Money</a>' in page  # the back office's tab
    assert re.search(r'id="balance-pending".*?\$22\.98', page, re.S)  # 31.97 - 9.99 + 1.00
    assert re.search(r'id="balance-total">\$22\.98<', page)
    assert f"Refund on order {sold.number}" in page
    assert f"/shop/shop-a/admin/orders/{sold.id}" in page  # the event links to its order
    assert "Commission returned" in page
    chart = re.search(r"data-money-series='([^']+)'", page).group(1)
    series = json.loads(chart.replace("&#34;", '"').replace("&quot;", '"'))
    assert series["datasets"][0]["data"][-1] == 19.98  # 29.97 of sales - 9.99 refunded
    assert "<script>" not in page  # the CSP allows no inline script: the data rides on the canvas
    assert "js/money-charts.js" in page
    assert "10%</strong> of your sales" in page  # the commission rate
    assert "No payouts yet." in page
    assert "Payable — blocked" not in page


def test_a_blocked_shop_is_told_what_to_do(client, member_of_a, sold, shop_a):
    release(sold)
    db.session.add(
        PayoutAccount(
            shop_id=shop_a.id,
            stripe_account_id="acct_1",
            transfers_enabled=False,
            requirements=["external_account"],
            synced_at=utcnow(),
        )
    )
    db.session.commit()
    page = text_of(client.get(MONEY))
    assert "Payable — blocked" in page
    assert "Stripe needs from you: external_account." in page
    assert "Stripe has not enabled transfers to this account yet." in page


def test_payouts_are_listed_newest_first_and_paged(client, member_of_a, shop_a):
    for day in range(1, 13):
        add_payout(shop_a, 1000 + day, f"k{day}", day=day)
    add_payout(shop_a, 777, "failed", status=PayoutStatus.FAILED, day=20)
    page = text_of(client.get(MONEY))
    assert "13 payouts, newest first" in page
    assert page.index("$7.77") < page.index("$10.12") < page.index("$10.04")
    assert "Failed or returned" in page and "$10.03" not in page
    older = text_of(client.get(MONEY + "?payouts_page=2"))
    assert "$10.03" in older and "$10.01" in older and "$10.12" not in older


def test_older_statement_pages_follow_the_link(client, member_of_a, shop_a):
    for n in range(60):
        adjust(shop_a.id, 100 + n, f"a{n}", memo=f"credit {n}")
    page = text_of(client.get(MONEY))
    assert "credit 59" in page and not re.search(r"credit 9\s*<", page)
    older = re.search(r'href="([^"]*before=[^"]+)"', page).group(1).replace("&amp;", "&")
    second = text_of(client.get(older))
    assert re.search(r"credit 9\s*<", second) and "credit 59" not in second
    assert "Newest</a>" in second


def test_the_statement_can_show_one_account(client, member_of_a, sold):
    release(sold)
    page = text_of(client.get(MONEY + "?account=shop_available"))
    assert "Holding period over" in page and "Sale" not in page.split('id="statement-lines"')[1]
    # An account without lines says so, not "your first paid order" to a shop that has sold.
    empty = text_of(client.get(MONEY + "?account=shop_reserve"))
    assert "Nothing on this account yet." in empty and "your first paid order" not in empty


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?before=abc", "That statement page does not exist"),
        ("?before=-4", "That statement page does not exist"),
        ("?before=22", "That statement page does not exist"),  # entry numbers are not cursors
        ("?before=" + "A" * 48, "That statement page does not exist"),
        ("?before=" + "A" * 500, "That statement page does not exist"),
        ("?before=%C3%A9t%C3%A9", "That statement page does not exist"),
        ("?account=processor", "Choose one of the accounts listed"),
        ("?account=nonsense", "Choose one of the accounts listed"),
    ],
)
def test_bad_links_are_a_400_with_a_message(client, member_of_a, query, message):
    response = client.get(MONEY + query)
    assert response.status_code == 400
    assert message in text_of(response)


def test_a_page_number_past_the_end_shows_an_empty_page(client, member_of_a, shop_a):
    oldest = page_cursor(shop_a.id, 1)
    assert client.get(MONEY + f"?payouts_page=999&before={oldest}").status_code == 200


# ---------------------------------------------------------------- CSVs


def test_the_statement_csv_has_every_line_and_is_not_cached(client, member_of_a, sold):
    refund_one(sold)
    response = client.get(MONEY + "statement.csv", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert "shop-a-statement-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert len(rows) == 1 + 5 and rows[-1][8] == "22.98"


def test_the_yearly_csv_for_a_chosen_year(client, member_of_a, sold):
    year = utcnow().year
    page = text_of(client.get(MONEY))
    assert f'<option value="{year}">{year}</option>' in page
    response = client.get(MONEY + f"yearly.csv?year={year}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows[-1][0] == str(year) and rows[-1][1] == "1" and rows[-1][2] == "29.97"


@pytest.mark.parametrize("year", ["", "abc", "1999", "99999", str(datetime.now(UTC).year + 1)])
def test_a_bad_year_is_a_400(client, member_of_a, year):
    response = client.get(MONEY + f"yearly.csv?year={year}")
    assert response.status_code == 400
    assert "Choose a year from 2000" in text_of(response)


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.STAFF, 403), (Role.SALES_REP, 403)],
)
def test_owners_and_managers_only(client, shop_a, make_user, sign_in, role, status):
    sign_in(member(shop_a, make_user, role, f"{role.value}@example.com"))
    assert client.get(MONEY).status_code == status
    assert client.get(MONEY + "statement.csv", buffered=True).status_code == status
    dashboard = text_of(client.get("/shop/shop-a/admin/"))
    assert (">Money</a>" in dashboard) is (status == 200)


def test_shop_a_never_sees_shop_b(client, member_of_a, shopper, shop_a, shop_b, money_on):
    mine = sell(shopper, shop_a)
    theirs = sell(shopper, shop_b, price=4321)
    release(theirs)
    pay_out(shop_b.id, 1500, "b-payout")
    add_payout(shop_b, 8888, "b1")
    adjust(shop_b.id, 31, "b-adj", memo="Only for shop B")
    add_payout(shop_a, 1234, "a1")
    page = text_of(client.get(MONEY))
    assert mine.number in page and "$12.34" in page
    for secret in (theirs.number, "$88.88", "Only for shop B", "$43.21", "$15.00"):
        assert secret not in page
    statement = text_of(client.get(MONEY + "statement.csv", buffered=True))
    assert mine.number in statement and theirs.number not in statement
    assert "Only for shop B" not in statement and "payout" not in statement.lower()
    yearly = list(
        csv.reader(io.StringIO(text_of(client.get(MONEY + f"yearly.csv?year={utcnow().year}"))))
    )
    assert yearly[-1][2] == "29.97" and yearly[-1][-2] == "0.00"  # A's sales; no payouts
    # Shop B's back office answers 404 to shop A's member, whatever the path.
    for path in ("", "statement.csv", f"yearly.csv?year={utcnow().year}"):
        assert client.get(f"/shop/shop-b/admin/money/{path}", buffered=True).status_code == 404


# ---------------------------------------------------------------- cost


def test_the_page_costs_the_same_with_more_lines_and_payouts(
    client, member_of_a, shopper, shop_a, money_on, count_queries
):
    sold = sell(shopper, shop_a)
    add_payout(shop_a, 1000, "p0")
    client.get(MONEY)  # warm: the first request loads what every request loads once
    with count_queries() as few:
        assert client.get(MONEY).status_code == 200
    release(sold)
    for n in range(2):
        sell(shopper, shop_a, price=300 + n, quantity=1, first=False)
    for n in range(12):
        adjust(shop_a.id, 10 + n, f"more{n}")
        add_payout(shop_a, 2000 + n, f"p{n + 1}", day=2 + n)
    with count_queries() as many:
        assert client.get(MONEY).status_code == 200
    assert many.count == few.count, many.statements
    older_page = MONEY + f"?before={page_cursor(shop_a.id, 5)}"
    with count_queries() as older:
        assert client.get(older_page).status_code == 200
    # The balance before the page: its newest checkpoint's number, then that and the lines after.
    assert older.count == few.count + 2


# ---------------------------------------------------------------- with the payout run's own entries


def test_a_manual_payout_run_shows_on_the_statement(client, member_of_a, sold, shop_a):
    from mall.ledger.payouts import export_batch, mark_batch_paid, run_payouts
    from mall.ledger.payouts.manual import open_batch
    from mall.ledger.release import release_order

    release_order(sold.id, shop_a.id, number=sold.number)
    result = run_payouts()
    batch = open_batch()
    assert result.manual == 1 and batch.total == 3197
    export_batch(batch, actor_id=None)
    mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    page = text_of(client.get(MONEY))
    assert re.search(r"Payout PO-[0-9A-F]{12} paid", page)
    assert re.search(r'id="balance-total">\$0\.00<', page)
    assert "1 payout, newest first" in page and "$31.97" in page
    statement = page.split('id="statement-lines"')[1]
    assert statement.count(f"/admin/orders/{sold.id}") == 3 + 2  # payment, release; not payouts
    yearly = list(
        csv.reader(io.StringIO(text_of(client.get(MONEY + f"yearly.csv?year={utcnow().year}"))))
    )
    assert yearly[-1][-2] == "31.97"  # paid out this year


# ---------------------------------------------------------------- what a tester found


def interleaved(shop_a, shop_b, count: int) -> None:
    """Shop A's adjustments with shop B's in between: A's mall-wide entry numbers have gaps."""
    for n in range(count):
        adjust(shop_a.id, 100 + n, f"a{n}", memo=f"credit {n}")
        adjust(shop_b.id, 1, f"b{n}")


def cursor_of(page: str) -> str:
    return re.search(r'href="[^"]*[?&]before=([^"&#]+)', page).group(1)


def test_statement_links_carry_a_sealed_cursor_not_the_entry_number(
    client, member_of_a, shop_a, shop_b, money_on
):
    interleaved(shop_a, shop_b, 55)  # more than a page (50)
    with tenant_context(shop_a):
        seqs = [line.seq for line in statements.statement_page(shop_a.id, per_page=200).lines]
    assert seqs[0] - seqs[-1] == 2 * (len(seqs) - 1)  # B's entries are numbered in between
    first = text_of(client.get(MONEY))
    again = text_of(client.get(MONEY))
    token = cursor_of(first)
    assert not token.isdigit() and token != cursor_of(again)  # nothing to read or compare
    links = " ".join(re.findall(r'href="([^"]*)"', first)).replace("&amp;", "&")
    # A cursor may start with a digit (it is random): only a plain number is a leak.
    values = re.findall(r"[?&](?:before|after|seq|entry)=([^&\"#\s]*)", links)
    assert values and not any(value.isdigit() for value in values)
    second = text_of(client.get(MONEY + f"?before={token}"))
    assert re.search(r"credit 4\s*<", second) and not re.search(r"credit 5\s*<", second)
    # Another shop's cursor, or a tampered one, opens nothing.
    with tenant_context(shop_b):
        theirs = page_cursor(shop_b.id, seqs[0])
    for bad in (theirs, tampered(token), str(seqs[2])):
        response = client.get(MONEY + f"?before={bad}")
        assert response.status_code == 400
        assert "That statement page does not exist" in text_of(response)


def test_the_statement_csv_numbers_the_shops_own_lines(
    client, member_of_a, shopper, shop_a, shop_b, money_on
):
    sell(shopper, shop_a, quantity=1)  # one event, three lines
    interleaved(shop_a, shop_b, 3)
    response = client.get(MONEY + "statement.csv", buffered=True)
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows[0][:3] == ["line_no", "event_no", "posted_at"] and "entry" not in rows[0]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, 7)]
    assert [row[1] for row in rows[1:]] == ["1", "1", "1", "2", "3", "4"]
    with tenant_context(shop_a):
        seqs = sorted({line.seq for line in statements.statement_page(shop_a.id).lines})
    assert seqs != list(range(seqs[0], seqs[0] + len(seqs)))  # B's entries are in between


def test_a_debt_is_explained_whatever_made_it(client, member_of_a, sold, shop_a):
    release(sold)
    adjust(shop_a.id, -5000, "charge", memo="Chargeback fee")  # 31.97 available, 50.00 taken
    page = text_of(client.get(MONEY))
    debt = re.search(r'id="balance-debt">(.*?)</span>\s*(<a [^>]*>[^<]*</a>)', page, re.S)
    assert "You owe the mall $18.03" in debt.group(1)
    assert "adjustment by the mall" in debt.group(1) and "recovers it from your next sales" in page
    assert "(a refund after a payout)" not in page
    assert re.search(r'id="balance-available".*?You owe this: it is recovered', page, re.S)
    assert "your balance with the mall is <strong" in page
    assert "?account=shop_available#statement" in debt.group(2)
    lines = text_of(client.get(MONEY + "?account=shop_available"))
    assert "Adjustment by the mall: Chargeback fee" in lines


@pytest.mark.parametrize(
    ("days", "wording"),
    [
        (3, "Held until the order is fulfilled, then for 3 days (3 days from payment"),
        (1, "Held until the order is fulfilled, then for 1 day (1 day from payment"),
        (0, "Held until the order is fulfilled (with nothing to ship: until shortly after"),
    ],
)
def test_pending_says_when_it_becomes_available(client, member_of_a, app_ctx, days, wording):
    put_setting(HOLDING_DAYS, days)
    db.session.commit()
    page = text_of(client.get(MONEY))
    assert wording in page
    assert "Inside the holding period after fulfilment" not in page


def test_each_payout_links_to_its_page(client, member_of_a, shop_a, shop_b):
    mine = add_payout(shop_a, 1234, "a1")
    theirs = add_payout(shop_b, 8888, "b1")
    page = text_of(client.get(MONEY))
    listed = page.split('id="payout-list"')[1]
    assert f'href="/shop/shop-a/admin/payouts/{mine}">PO-{mine.hex[-12:].upper()}</a>' in listed
    assert str(theirs) not in page and theirs.hex[-12:].upper() not in page
    assert client.get(f"/shop/shop-a/admin/payouts/{mine}").status_code == 200


def test_the_blocked_alert_links_to_the_payout_settings(client, member_of_a, sold, shop_a):
    release(sold)
    db.session.add(
        PayoutAccount(shop_id=shop_a.id, payouts_held=True, hold_reason="Checking your documents")
    )
    db.session.commit()
    page = text_of(client.get(MONEY))
    alert = page.split('id="payable-blocked"')[1].split("</div>")[0]
    assert "Checking your documents" in alert
    assert 'href="/shop/shop-a/admin/payouts"' in alert
    assert client.get("/shop/shop-a/admin/payouts").status_code == 200
