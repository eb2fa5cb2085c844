"""Payables and vendor statements: aging buckets on their boundary days, what is owed per
vendor and overall, the CSV (no formula runs), the statement's running balance over a date
range, isolation and flat query counts."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta
from uuid import uuid4

import pytest

from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tests.crawl.vendor_bills import make_open_bill, make_vendor
from vendors.bills import credits, payables, payments, services
from vendors.bills.payables import aging_bucket
from vendors.bills.services import BillLineInput

BASE = "/shop/shop-a/admin/purchasing"
TODAY = date(2026, 11, 29)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.mark.parametrize(
    ("days_late", "bucket"),
    [
        (-5, "current"),
        (0, "current"),  # due today: not late yet
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over-90"),
        (400, "over-90"),
    ],
)
def test_aging_buckets_on_their_boundaries(days_late, bucket):
    assert aging_bucket(TODAY - timedelta(days=days_late), TODAY) == bucket


def bill(vendor, *, total: int, due_days_ago: int, today: date = TODAY, status="open"):
    """An opened free bill of ``total`` due ``due_days_ago`` days before ``today``."""
    due = today - timedelta(days=due_days_ago)
    made, _ = services.create_bill(
        vendor,
        lines=[BillLineInput(1, total, description="Goods")],
        issued_on=due - timedelta(days=30),
        due_on=due,
        bill_key=uuid4().hex,
        actor_id=None,
    )
    if status == "open":
        services.open_bill(made, actor_id=None)
    return made


def test_payables_sum_what_is_owed_per_vendor_and_bucket(app_ctx, shop_a):
    with tenant_context(shop_a):
        acme, zeta = make_vendor(shop_a), make_vendor(shop_a, name="Zeta Parts")
        bill(acme, total=1000, due_days_ago=0)
        bill(acme, total=2000, due_days_ago=31)
        partly = bill(acme, total=3000, due_days_ago=91)
        payments.pay_bills(
            acme,
            amounts={partly.id: 500},
            paid_on=TODAY,
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        bill(zeta, total=400, due_days_ago=61)
        bill(zeta, total=999, due_days_ago=5, status="draft")  # a draft is not owed
        paid = bill(zeta, total=100, due_days_ago=10)
        payments.pay_bills(
            zeta,
            amounts={paid.id: 100},
            paid_on=TODAY,
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        credited = bill(zeta, total=800, due_days_ago=1)
        credits.credit_bill(
            credited, packs={}, amount=300, issued_on=TODAY, credit_key=uuid4().hex, actor_id=None
        )
        report = payables.payables(TODAY)
    assert [(v.name, v.bills) for v in report.vendors] == [("Acme Supplies", 3), ("Zeta Parts", 2)]
    first, second = report.vendors
    assert first.buckets == {"current": 1000, "1-30": 0, "31-60": 2000, "61-90": 0, "over-90": 2500}
    assert second.buckets == {"current": 0, "1-30": 500, "31-60": 0, "61-90": 400, "over-90": 0}
    assert report.totals["over-90"] == 2500 and report.total == 5500 + 900


def test_the_payables_page_and_its_csv(client, shop_a, member_of_a):
    today = utcnow().date()
    with tenant_context(shop_a):
        evil = make_vendor(shop_a, name='=HYPERLINK("https://evil.example","x")')
        bill(evil, total=1234, due_days_ago=45, today=today)
        db.session.commit()
    page = text(client.get(f"{BASE}/payables"))
    assert "31 to 60 days" in page and "$12.34" in page
    response = client.get(f"{BASE}/payables.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:8] == [
        "vendor",
        "bills",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "over-90",
        "total",
    ]
    assert rows[1][0].startswith("'=HYPERLINK")  # shown as text, never run
    assert rows[1][1:8] == ["1", "0.00", "0.00", "12.34", "0.00", "0.00", "12.34"]
    assert rows[2][0] == "Total" and rows[2][7] == "12.34"


def test_the_payables_page_costs_the_same_queries_for_more_vendors(
    client, shop_a, member_of_a, count_queries
):
    with tenant_context(shop_a):
        make_open_bill(shop_a)
        db.session.commit()
    with count_queries() as few:
        assert client.get(f"{BASE}/payables").status_code == 200
    with tenant_context(shop_a):
        for n in range(5):
            make_open_bill(shop_a, vendor=make_vendor(shop_a, name=f"Vendor {n}"))
        db.session.commit()
    with count_queries() as many:
        page = client.get(f"{BASE}/payables")
    assert "Vendor 4" in text(page) and many.count == few.count


def test_the_statement_runs_a_balance_over_the_range(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        old = bill(vendor, total=1000, due_days_ago=100)  # issued 130 days before TODAY
        recent = bill(vendor, total=5000, due_days_ago=0)  # issued 30 days before
        payments.pay_bills(
            vendor,
            amounts={old.id: 1000, recent.id: 500},
            paid_on=TODAY - timedelta(days=10),
            method="card",
            reference="CARD-9",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        credits.credit_bill(
            recent,
            packs={},
            amount=700,
            issued_on=TODAY - timedelta(days=5),
            credit_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()
        vendor_id, old_ref, recent_ref = vendor.id, old.reference, recent.reference
        found = payables.statement(
            services.get_vendor(vendor_id), start=TODAY - timedelta(days=60), end=TODAY
        )
    assert found.opening == 1000
    assert [(r.kind, r.amount, r.balance) for r in found.rows] == [
        ("bill", 5000, 6000),
        ("payment", -1500, 4500),
        ("credit", -700, 3800),
    ]
    assert found.closing == 3800
    start = (TODAY - timedelta(days=60)).isoformat()
    page = text(client.get(f"{BASE}/statements/{vendor_id}?from={start}&to={TODAY}"))
    assert recent_ref in page and old_ref not in page and "CARD-9" in page
    assert "$10.00" in page and "$38.00" in page
    whole = text(client.get(f"{BASE}/statements/{vendor_id}?from=2020-01-01&to={TODAY}"))
    assert old_ref in whole
    response = client.get(f"{BASE}/statements/{vendor_id}.csv?from={start}&to={TODAY}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][1:] == ["opening balance", "", "", "", "10.00", "USD"]
    assert [row[1] for row in rows[2:5]] == ["bill", "payment", "credit"]
    assert rows[3][4:6] == ["-15.00", "45.00"]
    assert rows[-1][1] == "closing balance" and rows[-1][5] == "38.00"
    assert client.get(f"{BASE}/statements/{vendor_id}?from=nope").status_code == 400
    assert (
        client.get(f"{BASE}/statements/{vendor_id}?from=2026-12-01&to=2026-01-01").status_code
        == 400
    )


def test_another_shops_vendor_statement_answers_404(client, shop_a, shop_b, member_of_a):
    with tenant_context(shop_b):
        theirs = make_open_bill(shop_b, vendor=make_vendor(shop_b, name="Hidden Vendor"))
        db.session.commit()
        vendor_id = theirs.vendor_id
    assert client.get(f"{BASE}/statements/{vendor_id}").status_code == 404
    assert client.get(f"{BASE}/statements/{vendor_id}.csv").status_code == 404
    assert "Hidden Vendor" not in text(client.get(f"{BASE}/payables"))


def test_the_vendor_page_shows_what_is_owed(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        vendor_id = bill.vendor_id
    page = text(client.get(f"{BASE}/vendors/{vendor_id}"))
    assert "1 open bill: $50.00 owed." in page
    assert f"/purchasing/statements/{vendor_id}" in page
    assert f"/purchasing/payments/new?vendor={vendor_id}" in page


def test_the_statement_costs_the_same_queries_for_more_documents(
    client, shop_a, member_of_a, count_queries
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        bill(vendor, total=100, due_days_ago=0, today=utcnow().date())
        db.session.commit()
        vendor_id = vendor.id
    with count_queries() as few:
        assert client.get(f"{BASE}/statements/{vendor_id}").status_code == 200
    with tenant_context(shop_a):
        vendor = services.get_vendor(vendor_id)
        for _ in range(5):
            made = bill(vendor, total=100, due_days_ago=0, today=utcnow().date())
            payments.pay_bills(
                vendor,
                amounts={made.id: 50},
                paid_on=utcnow().date(),
                method="cash",
                payment_key=uuid4().hex,
                actor_id=None,
            )
        db.session.commit()
    with count_queries() as many:
        assert client.get(f"{BASE}/statements/{vendor_id}").status_code == 200
    assert many.count == few.count


def test_statement_ranges_at_the_ends_of_the_calendar(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        db.session.commit()
        vendor_id = vendor.id
    assert client.get(f"{BASE}/statements/{vendor_id}?to=0001-01-01").status_code == 200
    assert client.get(f"{BASE}/statements/{vendor_id}?to=9999-12-31").status_code == 200
    assert client.get(f"{BASE}/statements/{vendor_id}?from=99999-01-01").status_code == 400
