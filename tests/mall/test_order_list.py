"""The shop's order list: filters, search (number, email through its blind index), pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from html import unescape
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.orders import admin_views, export
from mall.orders.models import Order, OrderStatus, PaymentStatus
from mall.orders.queries import customer_token
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.orders import place_order

ORDERS = "/shop/shop-a/admin/orders"
CSV = f"{ORDERS}/export.csv"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def order_of(shop, *, placed: datetime | None = None, **kw) -> SimpleNamespace:
    """A committed order of ``shop`` (placed at ``placed``, UTC); its id, number and email."""
    values = {key: kw.pop(key) for key in ("status", "payment_status") if key in kw}
    with tenant_context(shop):
        order = place_order(shop, **kw)
        if placed is not None:
            order.placed_at = placed
        for key, value in values.items():
            setattr(order, key, value)
        made = SimpleNamespace(id=order.id, number=order.number, email=order.email)
        db.session.commit()
    return made


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def numbers_in(html: str, orders: list[SimpleNamespace]) -> list[str]:
    return [order.number for order in orders if f">{order.number}</a>" in html]


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# ---------------------------------------------------------------- filters and search


def test_filters_by_payment_status(client, shop_a, member_of_a):
    paid = order_of(shop_a, status=OrderStatus.PAID, payment_status=PaymentStatus.PAID)
    part = order_of(
        shop_a, status=OrderStatus.PAID, payment_status=PaymentStatus.PARTIALLY_REFUNDED
    )
    waiting = order_of(shop_a)
    every = [paid, part, waiting]

    html = client.get(f"{ORDERS}/?payment=partially_refunded").get_data(as_text=True)
    assert numbers_in(html, every) == [part.number]
    assert '<option selected value="partially_refunded">' in html
    html = client.get(f"{ORDERS}/?payment=pending&status=awaiting_payment").get_data(as_text=True)
    assert numbers_in(html, every) == [waiting.number]
    # A stale value (an old bookmark) is no filter, not an error.
    assert len(numbers_in(client.get(f"{ORDERS}/?payment=lost").get_data(as_text=True), every)) == 3


def test_filters_by_days_in_utc_both_included(client, shop_a, member_of_a):
    before = order_of(shop_a, placed=at(9, 23, 59))
    first = order_of(shop_a, placed=at(10, 0, 0))
    last = order_of(shop_a, placed=at(12, 23, 59))
    after = order_of(shop_a, placed=at(13, 0, 0))
    every = [before, first, last, after]

    html = client.get(f"{ORDERS}/?placed_from=2027-03-10&placed_to=2027-03-12").get_data(
        as_text=True
    )
    assert numbers_in(html, every) == [first.number, last.number]
    html = client.get(f"{ORDERS}/?placed_from=2027-03-13").get_data(as_text=True)
    assert numbers_in(html, every) == [after.number]
    html = client.get(f"{ORDERS}/?placed_to=2027-03-09").get_data(as_text=True)
    assert numbers_in(html, every) == [before.number]
    html = client.get(f"{ORDERS}/?placed_from=2027-03-11&placed_to=2027-03-11").get_data(
        as_text=True
    )
    assert numbers_in(html, every) == [] and "No orders match these filters" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("placed_from=31.03.2027", "Enter a date such as 2027-03-31."),
        ("placed_to=2027-02-30", "Enter a date such as 2027-03-31."),
        ("placed_from=1999-12-31", "Enter a date from 2000 to 2999."),
        ("placed_to=9999-12-31", "Enter a date from 2000 to 2999."),
        ("placed_from=2027-03-12&placed_to=2027-03-10", "Choose a day on or after the first day."),
        ("q=" + "x" * 41, "Use at most 40 characters."),
    ],
)
def test_a_wrong_filter_is_a_message_not_an_error(client, shop_a, member_of_a, query, message):
    order_of(shop_a)
    for path in (f"{ORDERS}/?{query}", f"{CSV}?{query}"):
        response = client.get(path)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert message in html and 'aria-invalid="true"' in html
        assert "Correct the search above" in html


def test_search_by_whole_number_or_its_digits_in_any_case(client, shop_a, member_of_a):
    orders = [order_of(shop_a) for _ in range(12)]  # SHOPA-1001 .. 1012
    tenth = orders[9].number  # SHOPA-1010

    def found(q: str) -> list[str]:
        html = client.get(f"{ORDERS}/", query_string={"q": q}).get_data(as_text=True)
        return sorted(numbers_in(html, orders))

    assert found(tenth) == [tenth]
    assert found(tenth.lower()) == [tenth]
    assert found(f" {tenth} ") == [tenth]  # spaces around are not part of it
    assert found(tenth.split("-")[1]) == [tenth]  # the digits alone, after this shop's prefix
    # Only whole numbers: a pattern could use no index under row-level security.
    assert found(tenth[:-1]) == [] and found("101") == []
    assert found("SHOPA-9") == []
    assert found("%") == [] and found("_") == [] and found("SHOPA-10%") == []
    assert "No orders match these filters" in client.get(f"{ORDERS}/?q=nothing").get_data(
        as_text=True
    )


def test_another_shops_number_finds_nothing(client, shop_a, shop_b, member_of_a):
    theirs = order_of(shop_b)
    html = client.get(f"{ORDERS}/", query_string={"q": theirs.number}).get_data(as_text=True)
    assert f">{theirs.number}</a>" not in html and "No orders match these filters" in html


def find_customer(client, email: str):
    return client.post(f"{ORDERS}/customer", data={"email": email})


def test_search_by_email_exact_through_the_blind_index_never_in_a_url(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    dora = order_of(shop_a, email="dora@example.com")
    carol = order_of(shop_a)
    theirs = order_of(shop_b, email="dora@example.com")

    response = find_customer(client, " Dora@Example.COM ")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "dora" not in location.lower() and "%40" not in location and "@" not in location
    assert "customer=" in location
    html = client.get(location).get_data(as_text=True)
    assert numbers_in(html, [dora, carol]) == [dora.number]
    assert str(theirs.id) not in html
    assert "Only the orders of the customer's email you searched for." in html
    assert "Show every customer" in html

    # The token is this shop's: the same email in shop B has another one.
    with tenant_context(shop_b):
        token_b = customer_token("dora@example.com")
    assert token_b not in location

    nobody = client.get(find_customer(client, "dora@example").headers["Location"])
    assert numbers_in(nobody.get_data(as_text=True), [dora, carol]) == []  # exact only
    with tenant_context(shop_a):
        stored = db.session.scalar(sa.select(Order.email_ct).where(Order.id == dora.id))
    assert b"dora" not in stored  # the email is sealed; the search never read it


def test_other_filters_keep_the_customer_search(client, shop_a, member_of_a, no_csrf):
    dora = order_of(shop_a, email="dora@example.com", placed=at(10))
    older = order_of(shop_a, email="dora@example.com", placed=at(5))
    location = find_customer(client, "dora@example.com").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    token = location.split("customer=")[1]
    assert f'name="customer" type="hidden" value="{token}"' in html  # the filter form keeps it
    html = client.get(f"{ORDERS}/?customer={token}&placed_from=2027-03-08").get_data(as_text=True)
    assert numbers_in(html, [dora, older]) == [dora.number]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the customer's email."),
        ("dora", "Enter an email such as name@example.com."),
        ("d" * 250 + "@example.com", "Use at most 254 characters."),
    ],
)
def test_a_wrong_email_is_a_message(client, shop_a, member_of_a, no_csrf, email, message):
    response = find_customer(client, email)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert message in html and 'aria-invalid="true"' in html
    assert '<details class="mb-4" open>' in html


def test_an_email_typed_in_the_address_is_refused(client, shop_a, member_of_a):
    response = client.get(f"{ORDERS}/?q=dora@example.com")
    assert response.status_code == 400
    assert "Search for an email under" in response.get_data(as_text=True)
    assert client.get(f"{ORDERS}/?customer=not-a-token").status_code == 400


def test_the_customer_search_needs_the_csrf_token(app, client, shop_a, member_of_a, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # whatever another test left
    assert find_customer(client, "dora@example.com").status_code == 400


def link(html: str, rel: str) -> str:
    return unescape(html.split(f'rel="{rel}"')[0].rsplit('href="', 1)[1].split('"')[0])


def test_pages_go_by_position_older_and_newer_with_every_filter(
    client, shop_a, member_of_a, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    # Five orders, three placed in the same microsecond: the id breaks the tie.
    made = [order_of(shop_a, placed=at(10)) for _ in range(3)]
    made += [order_of(shop_a, placed=at(11)), order_of(shop_a, placed=at(12))]
    newest_first = [made[4], made[3], *sorted(made[:3], key=lambda o: o.id, reverse=True)]
    args = "status=awaiting_payment&payment=pending&placed_from=2027-03-10&placed_to=2027-03-12"

    html = client.get(f"{ORDERS}/?{args}").get_data(as_text=True)
    assert "5 orders match the filters" in html
    seen = [numbers_in(html, made)]
    assert "Newest</span>" in html and "Newer</span>" in html  # the first page: no way up
    while 'rel="next"' in html:
        older = link(html, "next")
        for part in args.split("&"):
            assert part in older  # the pager keeps every filter
        html = client.get(older).get_data(as_text=True)
        seen.append(numbers_in(html, made))
    by_position = {order.number: i for i, order in enumerate(newest_first)}
    pages = [sorted(page, key=by_position.get) for page in seen]
    assert [n for page in pages for n in page] == [o.number for o in newest_first]
    assert [len(page) for page in pages] == [2, 2, 1]  # every order once, none skipped

    # Back up: "Newer" from the last page shows the page before it, then the newest.
    html = client.get(link(html, "prev")).get_data(as_text=True)
    assert sorted(numbers_in(html, made), key=by_position.get) == pages[1]
    html = client.get(link(html, "prev")).get_data(as_text=True)
    assert sorted(numbers_in(html, made), key=by_position.get) == pages[0]
    assert 'rel="prev"' not in html
    assert f'href="{CSV}?' in html  # the CSV link carries the filters too


def test_a_made_up_position_shows_the_newest_or_says_nothing_is_there(client, shop_a, member_of_a):
    order = order_of(shop_a, placed=at(10))
    for junk in ("zzz", "-1", "9" * 40, "1-" + "g" * 32, "99999999999999999-" + "0" * 32):
        html = client.get(f"{ORDERS}/", query_string={"older": junk}).get_data(as_text=True)
        assert f">{order.number}</a>" in html, junk  # not a position: the newest page
    html = client.get(f"{ORDERS}/?older=1-{'0' * 32}").get_data(as_text=True)  # before 1970
    assert order.number not in html and "No orders on this page" in html
    assert "Go to the newest orders" in html
    html = client.get(f"{ORDERS}/?newer=9999999999999999-{'f' * 32}").get_data(as_text=True)
    assert order.number in html  # nothing newer than the far future: the newest page


def test_the_count_stops_at_the_cap(client, shop_a, member_of_a, monkeypatch):
    from mall import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for day in (10, 11, 12):
        order_of(shop_a, placed=at(day))
    assert "3 orders" in client.get(f"{ORDERS}/").get_data(as_text=True)
    order_of(shop_a, placed=at(13))
    assert "More than 3 orders" in client.get(f"{ORDERS}/").get_data(as_text=True)


def test_the_list_costs_the_same_queries_with_every_filter_for_one_order_or_twenty(
    client, shop_a, member_of_a, count_queries, monkeypatch
):
    query = f"{ORDERS}/?status=awaiting_payment&payment=pending&placed_from=2027-03-01"
    first = order_of(shop_a, placed=at(10))
    with count_queries() as one:
        assert client.get(query).status_code == 200
    with count_queries() as by_number:
        assert first.number in client.get(f"{query}&q={first.number}").get_data(as_text=True)
    for n in range(19):
        order_of(shop_a, placed=at(11, minute=n))
    with count_queries() as twenty:
        html = client.get(query).get_data(as_text=True)
    assert html.count('data-label="Items"') == 20
    assert twenty.count == one.count == by_number.count
    # A page deep in the list costs what the first does.
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 5)
    html = client.get(query).get_data(as_text=True)
    for _ in range(2):
        html = client.get(link(html, "next")).get_data(as_text=True)
    with count_queries() as deep:
        assert client.get(link(html, "next")).status_code == 200
    assert deep.count == one.count


# ---------------------------------------------------------------- CSV


def test_the_csv_has_every_matching_order_not_one_page(
    client, shop_a, shop_b, member_of_a, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    monkeypatch.setattr(export, "BATCH", 3)  # several batches, and one exactly full
    mine = [order_of(shop_a, placed=at(10, minute=n)) for n in range(6)]
    order_of(shop_a, placed=at(20))  # outside the dates
    order_of(shop_b, placed=at(10))

    response = client.get(f"{CSV}?placed_from=2027-03-10&placed_to=2027-03-10")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'attachment; filename="shop-a-orders-' in response.headers["Content-Disposition"]
    assert response.is_streamed
    rows = rows_of(response)
    assert [row["number"] for row in rows] == [order.number for order in reversed(mine)]
    assert list(rows[0]) == list(export.COLUMNS)
    assert rows[0] == {
        "number": mine[-1].number,
        "placed_at": "2027-03-10T12:05:00+00:00",
        "status": "awaiting_payment",
        "payment_status": "pending",
        "payment_method": "bank_transfer",
        "items": "2",
        "subtotal": "25.00",
        "discounts": "1.00",
        "shipping": "5.00",
        "tax": "2.40",
        "total": "31.40",
        "refunded": "0.00",
        "currency": "USD",
        "email": "carol@example.com",
        "shipping_country": "US",
    }


def test_the_csv_costs_queries_per_batch_not_per_order(
    client, shop_a, member_of_a, count_queries, monkeypatch
):
    monkeypatch.setattr(export, "BATCH", 50)
    order_of(shop_a)
    with count_queries() as one:
        assert len(rows_of(client.get(CSV))) == 1
    for n in range(9):
        order_of(shop_a, placed=at(10, minute=n))
    with count_queries() as ten:
        assert len(rows_of(client.get(CSV))) == 10
    assert ten.count == one.count


def test_the_csv_runs_no_formula(client, shop_a, member_of_a):
    order_of(shop_a, email="=1+1@example.com")
    (row,) = rows_of(client.get(CSV))
    assert row["email"] == "'=1+1@example.com"


def test_an_empty_csv_has_its_header(client, shop_a, member_of_a):
    assert client.get(CSV).get_data(as_text=True) == ",".join(export.COLUMNS) + "\r\n"


def test_the_csv_is_for_this_shops_staff_only(client, shop_a, shop_b, make_user, sign_in):
    order_of(shop_b)
    rep = make_user("rep@example.com", name="Rita Rep")
    db.session.add(Membership(user_id=rep.id, tenant_id=shop_a.id, role=Role.SALES_REP))
    db.session.commit()
    assert client.get(CSV).status_code in (302, 303)  # signed out: the sign-in page
    sign_in(rep)
    assert client.get(CSV).status_code == 200  # orders.view is enough to read orders
    assert client.get("/shop/shop-b/admin/orders/export.csv").status_code == 404
