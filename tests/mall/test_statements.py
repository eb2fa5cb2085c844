"""A shop's statements: balances by account, "payable — blocked", the statement with its running
balance (pages and CSV), net sales per week and the yearly statement, from real postings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.ledger import posting, statements
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerLine, Payout, PayoutAccount, PayoutMethod
from mall.ledger.posting import balance, credit, debit, post
from mall.ledger.sales import release_key
from mall.ledger.statements.periods import month_periods, week_periods
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, refund_order
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.settings import put_setting
from tests.support.money import buy, shop_owed
from tests.support.shopping import stock_shop
from tests.support.tokens import tampered

# ---------------------------------------------------------------- helpers (the page tests use them)


def sell(
    client, shop, *, price: int = 999, quantity: int = 3, first: bool = True
) -> SimpleNamespace:
    """``shop`` sells ``quantity`` x ``price`` (+ 5.00 shipping; the shop's ``first`` sale
    makes its shipping method) to a customer: the order's shop, id and number (readable
    after commits, outside the shop's context)."""
    stocked = stock_shop(shop, price=price, quantity=quantity + 5, shipping=500 if first else None)
    (order,) = buy(client, (stocked.variant_id, quantity))
    return SimpleNamespace(shop=shop, shop_id=shop.id, id=order.id, number=order.number)


def refund_one(sold: SimpleNamespace, key: str = "r1") -> None:
    """Refund one unit of the order's first line (through the test provider)."""
    with tenant_context(sold.shop_id):
        order = scoped_get(Order, sold.id)
        line = order.lines[0]
        refund_order(order, RefundRequest(quantities={line.id: 1}), actor_id=None, key=key)
        db.session.commit()


def release(sold: SimpleNamespace) -> None:
    """The holding period is over: the order's pending balance becomes available (as h6 posts)."""
    pending = -balance(Account.SHOP_PENDING, shop_id=sold.shop_id, order_id=sold.id)
    mine = {"shop_id": sold.shop_id, "order_id": sold.id}
    post(
        EntryKind.RELEASE,
        [
            debit(Account.SHOP_PENDING, pending, **mine),
            credit(Account.SHOP_AVAILABLE, pending, **mine),
        ],
        key=release_key(sold.id),
        ref_type="order",
        ref_id=sold.id,
        shop_id=sold.shop_id,
    )
    db.session.commit()


def pay_out(shop_id, amount: int, key: str, *, paid: bool = True) -> None:
    """A payout of ``amount`` sent (and paid) to the shop, as ledger.md has it."""
    post(
        EntryKind.PAYOUT,
        [
            debit(Account.SHOP_AVAILABLE, amount, shop_id=shop_id),
            credit(Account.PAYOUTS_IN_TRANSIT, amount, shop_id=shop_id),
        ],
        key=f"payout:{key}",
        ref_type="payout",
        ref_id=key,
        shop_id=shop_id,
    )
    if paid:
        post(
            EntryKind.PAYOUT_PAID,
            [
                debit(Account.PAYOUTS_IN_TRANSIT, amount, shop_id=shop_id),
                credit(Account.PROCESSOR, amount),
            ],
            key=f"payout-paid:{key}",
            ref_type="payout",
            ref_id=key,
            shop_id=shop_id,
        )
    db.session.commit()


def adjust(shop_id, amount: int, key: str, memo: str = "Goodwill credit") -> None:
    """An operator's adjustment crediting the shop ``amount`` (negative: charging it)."""
    post(
        EntryKind.ADJUSTMENT,
        [
            credit(Account.SHOP_AVAILABLE, amount, shop_id=shop_id),
            debit(Account.ADJUSTMENTS, amount),
        ],
        key=f"adjustment:{key}",
        ref_type="adjustment",
        ref_id=key,
        shop_id=shop_id,
        memo=memo,
    )
    db.session.commit()


def whole_statement(shop, **kw) -> list[statements.StatementLine]:
    """Every page of the shop's statement, newest first, following the "older" links."""
    lines, before = [], None
    shop_id = shop if isinstance(shop, UUID) else shop.id
    with tenant_context(shop_id):
        while True:
            page = statements.statement_page(shop_id, before_seq=before, **kw)
            lines += page.lines
            if page.older is None:
                return lines
            before = page.older


@pytest.fixture
def money_on(app, app_ctx, monkeypatch):
    """CSRF off (the customer checks out through the pages) and a 10 % commission."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    put_setting("commission.default_bp", 1000)
    db.session.commit()


@pytest.fixture
def sold(app_ctx, client, shop_a, money_on):
    """Shop A sold 3 x 9.99 (+ 5.00 shipping) at 10 %: owed 29.97 + 5.00 - 3.00 = 31.97."""
    return sell(client, shop_a)


# ---------------------------------------------------------------- the summary


def test_a_paid_order_is_pending_until_released(sold, shop_a):
    summary = statements.money_summary(shop_a.id)
    assert (summary.pending, summary.available, summary.total) == (3197, 0, 3197)
    assert summary.method is PayoutMethod.MANUAL and not summary.blocked
    assert summary.minimum_payout == 1000 and not summary.payable
    release(sold)
    summary = statements.money_summary(shop_a.id)
    assert (summary.pending, summary.available, summary.total) == (0, 3197, 3197)
    assert summary.payable
    put_setting("payouts.minimum", 5000)
    assert not statements.money_summary(shop_a.id).payable


def test_payouts_in_transit_then_paid_and_a_debt_after_a_refund(sold, shop_a):
    release(sold)
    pay_out(shop_a.id, 3197, "p1", paid=False)
    summary = statements.money_summary(shop_a.id)
    assert (summary.available, summary.in_transit, summary.total) == (0, 3197, 3197)
    pay_out(shop_a.id, 3197, "p1")  # the same payout: its "sent" entry is not posted again
    summary = statements.money_summary(shop_a.id)
    assert (summary.available, summary.in_transit, summary.total) == (0, 0, 0)
    refund_one(sold)  # after the payout: the refund is taken from the available balance
    summary = statements.money_summary(shop_a.id)
    assert summary.available == -(999 - 100) and summary.debt == 899
    assert summary.total == shop_owed(shop_a.id) == -899


def test_a_connect_account_that_cannot_receive_transfers_is_blocked(app_ctx, shop_a):
    db.session.add(
        PayoutAccount(
            shop_id=shop_a.id,
            stripe_account_id="acct_123",
            transfers_enabled=False,
            requirements=["external_account"],
            synced_at=utcnow(),
        )
    )
    db.session.flush()
    summary = statements.money_summary(shop_a.id)
    assert summary.blocked and summary.method is PayoutMethod.STRIPE and not summary.payable
    # In the payout run's words (mall.ledger.connect.payout_state): the page and the run agree.
    assert summary.must_do == [
        "Stripe has not enabled transfers to this account yet.",
        "Stripe needs from you: external_account. Complete them in your Stripe dashboard.",
    ]


def test_a_hold_by_the_operator_blocks_and_says_why(app_ctx, shop_a):
    account = PayoutAccount(
        shop_id=shop_a.id,
        stripe_account_id="acct_ok",
        transfers_enabled=True,
        requirements=[],
        synced_at=utcnow(),
    )
    db.session.add(account)
    db.session.flush()
    assert not statements.money_summary(shop_a.id).blocked
    account.payouts_held, account.hold_reason = True, "dispute rate too high"
    db.session.flush()
    summary = statements.money_summary(shop_a.id)
    assert summary.blocked
    assert summary.must_do == [
        "The mall holds your payouts (dispute rate too high). Contact the mall to lift the hold."
    ]
    account.hold_reason = ""
    db.session.flush()
    assert statements.money_summary(shop_a.id).must_do == [
        "The mall holds your payouts (no reason was given). Contact the mall to lift the hold."
    ]


def test_the_minimum_payout_is_the_platform_setting(app_ctx, shop_a):
    put_setting("payouts.minimum", "lots")
    assert statements.money_summary(shop_a.id).minimum_payout == 1000
    put_setting("payouts.minimum", 2500)
    assert statements.money_summary(shop_a.id).minimum_payout == 2500


# ---------------------------------------------------------------- the statement


def test_each_line_names_its_event_and_the_balance_after_it(sold, shop_a):
    refund_one(sold)
    release(sold)
    adjust(shop_a.id, 150, "a1", memo="Late delivery goodwill")
    lines = whole_statement(shop_a)
    events = [(line.event, line.label, line.amount) for line in lines]
    number = sold.number
    assert events == [
        ("Adjustment by the mall: Late delivery goodwill", "Adjustment", 150),
        (f"Holding period over for order {number}", "Release", 3197 - 899),
        (f"Holding period over for order {number}", "Release", -(3197 - 899)),
        (f"Refund on order {number}", "Commission returned", 100),
        (f"Refund on order {number}", "Refund", -999),
        (f"Order {number} paid", "Commission", -300),
        (f"Order {number} paid", "Shipping", 500),
        (f"Order {number} paid", "Sale", 2997),
    ]
    assert all(line.order_id == sold.id for line in lines[1:])
    # The balance after each line is what the mall owes the shop in all at that point.
    assert [line.balance for line in lines] == [2448, 2298, 0, 2298, 2198, 3197, 3497, 2997]
    # A page shows the balance after each whole event (its lines' last step).
    assert [line.ends_entry for line in lines] == [1, 1, 0, 1, 0, 1, 0, 0]
    assert lines[0].balance == shop_owed(shop_a.id) == statements.money_summary(shop_a.id).total
    # One account's statement carries that account's balance.
    available = whole_statement(shop_a, account=Account.SHOP_AVAILABLE)
    assert [(line.amount, line.balance) for line in available] == [(150, 2448), (2298, 2298)]


def test_pages_never_split_an_entry_and_join_up_exactly(app_ctx, client, shop_a, money_on):
    for n in range(4):
        sell(client, shop_a, price=500 + n, quantity=1, first=n == 0)  # 3 lines each
    for n in range(5):
        adjust(shop_a.id, 10 + n, f"a{n}")  # 1 line each
    everything = whole_statement(shop_a, per_page=200)
    assert len(everything) == 4 * 3 + 5
    for per_page in (1, 2, 4, 5):
        paged, before, pages = [], None, []
        with tenant_context(shop_a):
            while True:
                page = statements.statement_page(shop_a.id, before_seq=before, per_page=per_page)
                pages.append(page.lines)
                paged += page.lines
                if page.older is None:
                    break
                before = page.older
        assert [(x.seq, x.position, x.balance) for x in paged] == [
            (x.seq, x.position, x.balance) for x in everything
        ]
        for index, lines in enumerate(pages[:-1]):
            assert lines[-1].seq != pages[index + 1][0].seq  # an entry is on one page
    # Passing the known balance (the page does) changes nothing but the queries.
    total = statements.money_summary(shop_a.id).ledger_balance()
    with tenant_context(shop_a):
        first = statements.statement_page(shop_a.id, per_page=4, balance=total)
        second = statements.statement_page(
            shop_a.id, before_seq=first.older, per_page=4, balance=total
        )
    assert [x.balance for x in first.lines + second.lines] == [
        x.balance for x in everything[: len(first.lines + second.lines)]
    ]


def test_the_statement_is_the_shops_own(app_ctx, client, shop_a, shop_b, money_on):
    mine = sell(client, shop_a)
    theirs = sell(client, shop_b, price=1234)
    adjust(shop_b.id, 77, "b1")
    lines = whole_statement(shop_a)
    assert {line.order_number for line in lines} == {mine.number}
    assert theirs.number not in {line.order_number for line in lines}
    assert lines[0].balance == shop_owed(shop_a.id)
    # Read outside its shop's context, or inside another's, it is refused.
    with pytest.raises(LedgerError), tenant_context(shop_b):
        statements.statement_page(shop_a.id)
    with pytest.raises(LedgerError):
        statements.statement_page(shop_a.id)


def test_the_csv_has_every_line_oldest_first_with_the_running_balance(sold, shop_a):
    refund_one(sold)
    adjust(shop_a.id, 5, "x", memo='=HYPERLINK("http://evil.example")')
    with tenant_context(shop_a):
        chunks = list(statements.statement_csv(shop_a.id, currency="USD"))
        rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows[0] == list(statements.csv_export.CSV_COLUMNS)
    body = rows[1:]
    assert [row[7] for row in body] == ["29.97", "5.00", "-3.00", "-9.99", "1.00", "0.05"]
    assert body[-1][8] == "23.03" == f"{shop_owed(shop_a.id) / 100:.2f}"
    assert body[0][6] == sold.number
    assert body[-1][3] == 'Adjustment by the mall: =HYPERLINK("http://evil.example")'
    # The shop's own numbers: lines 1-6, events payment (3 lines), refund (2), adjustment.
    assert [(row[0], row[1]) for row in body] == [
        ("1", "1"),
        ("2", "1"),
        ("3", "1"),
        ("4", "2"),
        ("5", "2"),
        ("6", "3"),
    ]


def test_the_page_cursor_is_sealed_and_bound_to_its_shop(app_ctx, shop_a, shop_b):
    seq = 987_654_321  # long enough that its digits cannot show up in a token by chance
    token = statements.page_cursor(shop_a.id, seq)
    assert statements.cursor_seq(shop_a.id, token) == seq
    assert str(seq) not in token and token != statements.page_cursor(shop_a.id, seq)  # fresh nonce
    assert len(token) == 48 and token.replace("-", "").replace("_", "").isalnum()
    for bad in (str(seq), "", token[:-1], token + "A", tampered(token), "é" * 48):
        with pytest.raises(LedgerError, match="That statement page does not exist"):
            statements.cursor_seq(shop_a.id, bad)
    with pytest.raises(LedgerError):
        statements.cursor_seq(shop_b.id, token)  # made for A: opens in no other shop


def test_a_page_links_the_next_by_its_cursor(app_ctx, client, shop_a, money_on):
    for n in range(3):
        adjust(shop_a.id, 10 + n, f"c{n}")
    with tenant_context(shop_a):
        first = statements.statement_page(shop_a.id, per_page=2)
        last = statements.statement_page(shop_a.id, before_seq=first.older, per_page=2)
    assert statements.cursor_seq(shop_a.id, first.older_cursor) == first.older
    assert last.older is None and last.older_cursor is None


def test_the_csv_reads_in_batches(app_ctx, client, shop_a, money_on):
    sell(client, shop_a, quantity=1)
    adjust(shop_a.id, 1, "one")
    with tenant_context(shop_a):
        batches = list(statements.csv_export.statement_rows(shop_a.id, size=2))
    assert [len(batch) for batch in batches] == [2, 2]
    assert batches[-1][-1].balance == shop_owed(shop_a.id)


def test_payout_history_is_the_shops_newest_first(app_ctx, shop_a, shop_b):
    for shop, amounts in ((shop_a, (1000, 2000)), (shop_b, (5000,))):
        with tenant_context(shop):
            for n, amount in enumerate(amounts):
                db.session.add(
                    Payout(
                        method=PayoutMethod.MANUAL,
                        amount=amount,
                        currency="USD",
                        idempotency_key=f"k{n}",
                        created_at=datetime(2026, 1, 1 + n, tzinfo=UTC),
                    )
                )
            db.session.flush()
    with tenant_context(shop_a):
        page = statements.payout_history(shop_a.id)
        assert [payout.amount for payout in page.items] == [2000, 1000] and page.total == 2
        with pytest.raises(LedgerError):
            statements.payout_history(shop_b.id)


def test_statement_years_start_at_the_first_line(sold, shop_a, shop_b):
    this_year = utcnow().year
    assert statements.statement_years(shop_a.id) == [this_year]
    assert statements.statement_years(shop_b.id) == [this_year]


# ---------------------------------------------------------------- weekly and yearly


def test_weekly_net_sales_is_sales_less_discounts_and_refunds(sold, shop_a, shop_b, client):
    refund_one(sold)
    sell(client, shop_b, price=7777, quantity=1)
    weeks = statements.weekly_net_sales(shop_a.id)
    assert len(weeks) == 12 and weeks[-1].label == week_periods(1)[0].label
    assert all(week.net == 0 for week in weeks[:-1])
    assert (weeks[-1].sales, weeks[-1].discounts, weeks[-1].refunds) == (2997, 0, 999)
    assert weeks[-1].net == 1998
    later = statements.weekly_net_sales(shop_a.id, now=datetime(2099, 1, 1, tzinfo=UTC))
    assert all(week.net == 0 for week in later)


def post_sale(shop_id: UUID, amount: int, key: str) -> None:
    """A sale of ``amount`` on the shop's pending balance, posted now (by the ledger's clock)."""
    post(
        EntryKind.PAYMENT,
        [
            debit(Account.PROCESSOR, amount),
            credit(Account.SHOP_PENDING, amount, shop_id=shop_id, kind="sale"),
        ],
        key=key,
        ref_type="test",
        ref_id=key,
        shop_id=shop_id,
    )
    db.session.commit()


def test_a_settled_week_is_read_once_per_process_and_the_open_week_every_time(
    sold, shop_a, monkeypatch
):
    # A sale three weeks ago: ledger lines carry the time they are posted, so the posting's
    # clock is turned back (the only way a line lands in a past week).
    three_weeks_ago = utcnow() - timedelta(weeks=3)
    monkeypatch.setattr(posting, "utcnow", lambda: three_weeks_ago)
    post_sale(shop_a.id, 700, "old sale")
    monkeypatch.undo()
    earliest_read: list[datetime] = []

    def note_the_range(conn, clause, multiparams, params, options):
        text = str(clause)
        if "ledger_lines" in text and "CASE" in text:
            bound = clause.compile().params.values()
            earliest_read.append(min(v for v in bound if isinstance(v, datetime)))

    sa.event.listen(db.engine, "before_execute", note_the_range)
    try:
        first = statements.weekly_net_sales(shop_a.id)
        post_sale(shop_a.id, 100, "new sale")  # this week, after the first read
        again = statements.weekly_net_sales(shop_a.id)
    finally:
        sa.event.remove(db.engine, "before_execute", note_the_range)
    old_week = next(
        week
        for week in first
        if week.start <= three_weeks_ago.date() < week.start + timedelta(weeks=1)
    )
    assert old_week.sales == 700
    assert first[-1].sales == 2997  # this week's: the ``sold`` order
    assert again[:-1] == first[:-1]
    assert again[-1].sales == 2997 + 100
    twelve_weeks, open_weeks = week_periods(12), week_periods(2)
    assert earliest_read[0] == twelve_weeks[0].start  # the first read sums all twelve weeks
    # The second only the open week (and the one before while it settles, in its first hour).
    assert earliest_read[1] >= open_weeks[0].start


def test_the_yearly_statement_adds_up_to_what_is_owed(sold, shop_a, client):
    refund_one(sold)
    release(sold)
    pay_out(shop_a.id, 1000, "p1")
    adjust(shop_a.id, 50, "a1")
    year = utcnow().year
    statement = statements.yearly_statement(shop_a.id, year)
    month = statement.months[utcnow().month - 1]
    assert month.label == month_periods(1)[0].label
    assert (month.orders_paid, month.gross_sales, month.shipping) == (1, 2997, 500)
    assert (month.refunds, month.commission, month.adjustments) == (999, 300 - 100, 50)
    assert (month.payouts, month.other, month.fees, month.chargebacks) == (1000, 0, 0, 0)
    assert month.net_earnings == 2997 + 500 - 999 - 200 + 50
    # What is owed now = what the year's trading earned - what was paid out.
    assert month.net_earnings - month.payouts == shop_owed(shop_a.id)
    assert statement.total.net_earnings == month.net_earnings
    assert sum(m.orders_paid for m in statement.months) == statement.total.orders_paid == 1
    assert statements.yearly_statement(shop_a.id, year - 1).total.net_earnings == 0


def test_the_yearly_csv_has_twelve_months_and_the_total(sold, shop_a):
    text = statements.yearly_csv(
        statements.yearly_statement(shop_a.id, utcnow().year), currency="USD"
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["period", "orders_paid", "gross_sales", "shop_discounts"]
    assert len(rows) == 1 + 12 + 1 and rows[-1][0] == str(utcnow().year)
    assert rows[-1][2] == "29.97" and rows[-1][-1] == "USD"


def test_lines_of_an_unknown_kind_land_in_other(app_ctx, shop_a):
    post(
        EntryKind.FEE,
        [
            debit(Account.SHOP_AVAILABLE, 30, shop_id=shop_a.id, kind="processor_fee"),
            credit(Account.PROCESSOR_FEES, 30),
        ],
        key="fee1",
        ref_type="test",
        ref_id="fee1",
    )
    post(
        EntryKind.DISPUTE_WON,
        [
            credit(Account.SHOP_AVAILABLE, 12, shop_id=shop_a.id, kind="mystery"),
            debit(Account.DISPUTES, 12),
        ],
        key="odd",
        ref_type="test",
        ref_id="odd",
    )
    total = statements.yearly_statement(shop_a.id, utcnow().year).total
    assert (total.fees, total.other, total.net_earnings) == (30, 12, -18)
    lines = db.session.scalars(sa.select(LedgerLine).where(LedgerLine.shop_id == shop_a.id)).all()
    assert -sum(line.amount for line in lines) == total.net_earnings
