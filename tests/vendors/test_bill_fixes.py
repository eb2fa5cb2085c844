"""Fixes to vendor bills found in testing: a payment cannot be dated after today (a
prepayment before the bill may), the statement runs to a future-dated document so it agrees
with the payables, the differences line words packs past the limit (ordered, received,
already billed, this bill) and leaves a partial bill alone, the payables total stacks on a
phone, a void asks once, a vendor's bill number is taken once, and a paid bill offers no
credit note form but says what to do."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from uuid import uuid4

import pytest

from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tests.crawl.vendor_bills import make_open_bill, make_po, make_vendor
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.vendors.test_bill_payments import PEOPLE, _at_once, _shop
from vendors.bills import credits, payables, payments, services
from vendors.bills.duplicates import FieldError
from vendors.bills.services import BillLineInput
from vendors.errors import PurchasingError
from vendors.models import BillStatus, VendorBill

BASE = "/shop/shop-a/admin/purchasing"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def today() -> date:
    return utcnow().date()


def fresh(bill) -> VendorBill:
    db.session.expire_all()
    return db.session.get(VendorBill, (bill.tenant_id, bill.id))


def pay(vendor, amounts, *, paid_on: date, key=None):
    return payments.pay_bills(
        vendor,
        amounts=amounts,
        paid_on=paid_on,
        method="bank_transfer",
        payment_key=key or uuid4().hex,
        actor_id=None,
    )


def free_bill(vendor, *, total=1000, number="", issued_on=date(2026, 11, 1), key=None):
    """A draft bill of one free line (service call): (bill, made)."""
    return services.create_bill(
        vendor,
        lines=[BillLineInput(1, total, description="Goods")],
        issued_on=issued_on,
        vendor_number=number,
        bill_key=key or uuid4().hex,
        actor_id=None,
    )


# ---------------------------------------------------------------- 1. payment dates


def test_a_payment_dated_after_today_is_refused_at_its_field(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        vendor = services.get_vendor(bill.vendor_id)
        with pytest.raises(FieldError, match="cannot be dated after today") as refused:
            pay(vendor, {bill.id: 100}, paid_on=today() + timedelta(days=1))
        assert refused.value.field == "paid_on"
        with pytest.raises(FieldError, match="between 2000-01-01"):
            pay(vendor, {bill.id: 100}, paid_on=date(1999, 12, 31))
        # Today, and before the bill's own date (a prepayment), are fine.
        assert pay(vendor, {bill.id: 100}, paid_on=today())[1]
        assert pay(vendor, {bill.id: 100}, paid_on=date(2026, 10, 1))[1]
        assert fresh(bill).paid == 200


def test_the_payment_page_shows_a_future_date_at_the_field(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        bill_id, vendor_id = bill.id, bill.vendor_id
    response = client.post(
        f"{BASE}/payments/new?vendor={vendor_id}",
        data={
            "key": uuid4().hex,
            "paid_on": "2030-01-01",
            "method": "cash",
            f"pay-{bill_id}": "1.00",
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert re.search(r'id="paid_on-errors"[^>]*>A payment cannot be dated after today', page)
    assert 'value="1.00"' in page  # what was typed stays
    with tenant_context(shop_a):
        assert fresh(services.get_bill(bill_id)).paid == 0


def test_the_statement_runs_to_a_future_dated_document_and_matches_payables(
    client, shop_a, member_of_a
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        later = today() + timedelta(days=40)
        bill, _ = free_bill(vendor, total=2500, issued_on=later)
        services.open_bill(bill, actor_id=None)
        db.session.commit()
        vendor_id = vendor.id
        owed = payables.payables(today()).total
    assert owed == 2500
    page = words(client.get(f"{BASE}/statements/{vendor_id}"))
    assert f"This statement runs to {later.isoformat()} , after today" in page
    assert "Closing balance $25.00" in page
    # A range typed by hand is kept as typed.
    typed = words(client.get(f"{BASE}/statements/{vendor_id}?to={today().isoformat()}"))
    assert "after today" not in typed and "Closing balance $0.00" in typed


# ---------------------------------------------------------------- 2. differences


def test_a_partial_bill_within_the_limit_is_not_a_difference(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 10, 500)])
        bill, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(4, 500, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 1),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        assert bill.exceptions == [] and not services.needs_review(bill)


def test_billing_past_the_limit_shows_ordered_received_billed_and_this_bill(
    client, shop_a, member_of_a
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 4, 500)], status="partially_received")
        first, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(4, 500, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 1),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        services.open_bill(first, actor_id=None)
        db.session.refresh(po.lines[0])
        over, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(1, 500, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 2),
            bill_key=uuid4().hex,
            actor_id=None,
            override_reason="Sent ahead of the rest",
        )
        assert over.exceptions == [
            {
                "line": "Widget 1",
                "field": "quantity",
                "ordered": 10,
                "received": 4,
                "billed": 4,
                "limit": 0,
                "bill": 1,
            }
        ]
        db.session.commit()
        over_id = over.id
    page = text(client.get(f"{BASE}/bills/{over_id}"))
    assert (
        "Widget 1: Packs ordered 10, received 4, already billed 4, on this bill 1 "
        "— 1 more than the billing policy left (0)"
    ) in page
    assert "on the order 0" not in page


def test_a_difference_saved_in_the_old_shape_still_reads_right(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        bill.exceptions = [{"line": "Widget 1", "field": "quantity", "po": 0, "bill": 1}]
        db.session.commit()
        bill_id = bill.id
    page = text(client.get(f"{BASE}/bills/{bill_id}"))
    assert "Widget 1: Packs the billing policy left 0, on this bill 1" in page


# ---------------------------------------------------------------- 3. payables on a phone


def test_the_payables_total_is_a_stacking_row_not_a_tfoot(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        make_open_bill(shop_a)
        db.session.commit()
    page = client.get(f"{BASE}/payables").get_data(as_text=True)
    assert "<tfoot" not in page  # a tfoot row stays one line on a phone and clips
    totals = re.search(r'<tbody class="table-group-divider">(.*?)</tbody>', page, re.S).group(1)
    assert "Total, all vendors" in totals
    assert totals.count("data-label=") == 6  # five buckets and the total, each labelled


# ---------------------------------------------------------------- 4. void asks once


def test_void_asks_once_and_a_bare_post_changes_nothing(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        bill_id, reference = bill.id, bill.reference
    page = client.get(f"{BASE}/bills/{bill_id}").get_data(as_text=True)
    assert f'href="{BASE}/bills/{bill_id}?void=1#void-heading"' in page
    assert f'action="{BASE}/bills/{bill_id}/void"' not in page  # no one-click void
    bare = client.post(f"{BASE}/bills/{bill_id}/void")
    assert bare.status_code == 303 and bare.headers["Location"].endswith(f"{bill_id}?void=1")
    with tenant_context(shop_a):
        assert fresh(services.get_bill(bill_id)).status is BillStatus.OPEN
    asked = text(client.get(f"{BASE}/bills/{bill_id}?void=1"))
    assert f"Void bill {reference}?" in asked and "No, keep it" in asked
    assert f"Yes, void {reference}" in asked
    done = client.post(f"{BASE}/bills/{bill_id}/void", data={"confirm": "yes"})
    assert done.status_code == 303
    assert f"Bill {reference} voided." in text(client.get(done.headers["Location"]))
    with tenant_context(shop_a):
        assert fresh(services.get_bill(bill_id)).status is BillStatus.VOID
    again = client.post(
        f"{BASE}/bills/{bill_id}/void", data={"confirm": "yes"}, follow_redirects=True
    )
    assert "nothing was done" in text(again)


def test_a_paid_bill_offers_no_void(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        pay(services.get_vendor(bill.vendor_id), {bill.id: 100}, paid_on=today())
        db.session.commit()
        bill_id = bill.id
    assert "Void" not in text(client.get(f"{BASE}/bills/{bill_id}?void=1"))


# ---------------------------------------------------------------- 5. one bill per vendor number


def test_a_vendors_bill_number_is_taken_once_unless_voided(app_ctx, shop_a):
    with tenant_context(shop_a):
        hillside = make_vendor(shop_a, name="Hillside")
        first, _ = free_bill(hillside, number="INV-77")
        with pytest.raises(
            FieldError, match=f"Hillside's INV-77 is already recorded as {first.reference}"
        ) as refused:
            free_bill(hillside, number="inv-77")
        assert refused.value.field == "vendor_number"
        # The same form sent again is the same bill, not a duplicate.
        assert free_bill(hillside, number="INV-77", key=first.bill_key) == (first, False)
        # Another vendor may use the same number; a blank number is never a duplicate.
        assert free_bill(make_vendor(shop_a, name="Other"), number="INV-77")[1]
        assert free_bill(hillside)[1] and free_bill(hillside)[1]
        services.void_bill(first, actor_id=None)
        again, made = free_bill(hillside, number="INV-77")
        assert made and again.id != first.id


def test_the_database_refuses_a_second_bill_with_a_vendors_number(app_ctx, shop_a):
    import sqlalchemy as sa

    with tenant_context(shop_a):
        hillside = make_vendor(shop_a, name="Hillside")
        first, _ = free_bill(hillside, number="INV-88")
        db.session.flush()
        twin = VendorBill(
            tenant_id=shop_a.id,
            vendor_id=hillside.id,
            vendor_number="INV-88",  # past the service: the index refuses it
            reference="BYPASS-1",
            currency=first.currency,
            issued_on=first.issued_on,
            due_on=first.due_on,
            bill_key=uuid4().hex,
        )
        with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
            db.session.add(twin)
            db.session.flush()
        services.void_bill(first, actor_id=None)
        db.session.flush()
        twin = VendorBill(
            **{
                **{
                    c: getattr(twin, c)
                    for c in (
                        "tenant_id",
                        "vendor_id",
                        "vendor_number",
                        "currency",
                        "issued_on",
                        "due_on",
                    )
                },
                "reference": "BYPASS-2",
                "bill_key": uuid4().hex,
            }
        )
        db.session.add(twin)
        db.session.flush()  # the first is void: its number is free again


def test_a_duplicate_number_shows_at_its_field(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a, name="Hillside")
        first, _ = free_bill(vendor, number="INV-77")
        db.session.commit()
        vendor_id, reference = vendor.id, first.reference
    response = client.post(
        f"{BASE}/bills/new",
        data={
            "key": uuid4().hex,
            "vendor": str(vendor_id),
            "vendor_number": "INV-77",
            "issued_on": "2026-11-02",
            "desc-0": "Freight",
            "fqty-0": "1",
            "fcost-0": "9.00",
            "then": "open",
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert re.search(
        rf'id="vendor_number-errors"[^>]*>Hillside\'s INV-77 is already recorded as {reference}',
        page,
    )
    assert 'value="Freight"' in page
    with tenant_context(shop_a):
        assert services.get_vendor(vendor_id) is not None
        assert db.session.query(VendorBill).filter_by(vendor_id=vendor_id).count() == 1


# ---------------------------------------------------------------- 6. a credit on a paid bill


def test_a_paid_bill_offers_no_credit_note_form_and_says_what_to_do(
    client, shop_a, member_of_a, no_csrf
):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)  # 10 packs at 5.00
        pay(services.get_vendor(bill.vendor_id), {bill.id: 5000}, paid_on=today())
        db.session.commit()
        bill_id, line_id = bill.id, bill.lines[0].id
        assert not credits.can_credit(fresh(bill))
    page = text(client.get(f"{BASE}/bills/{bill_id}"))
    assert "Record a credit note" not in page
    assert "take it off their next bill" in page
    form_page = client.get(f"{BASE}/bills/{bill_id}/credit")
    assert form_page.status_code == 200
    assert '<form method="post"' not in form_page.get_data(as_text=True).split("</nav>")[-1]
    assert "nothing is owed on it" in text(form_page)
    sent = client.post(
        f"{BASE}/bills/{bill_id}/credit",
        data={"key": uuid4().hex, "issued_on": "2026-11-10", f"packs-{line_id}": "1"},
    )
    assert sent.status_code == 409 and "only an open bill can be credited" in text(sent)


def test_a_partly_paid_bill_still_takes_a_credit_within_what_is_owed(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        pay(services.get_vendor(bill.vendor_id), {bill.id: 4000}, paid_on=today())
        bill = fresh(bill)
        assert credits.can_credit(bill)
        with pytest.raises(PurchasingError, match="more than"):
            credits.credit_bill(
                bill,
                packs={},
                amount=1001,
                issued_on=today(),
                credit_key=uuid4().hex,
                actor_id=None,
            )


# ---------------------------------------------------------------- at once (PostgreSQL)

committed_app = committed_app_fixture()


@needs_committed_pg
def test_the_same_vendor_number_typed_at_once_is_one_bill(committed_app):
    shop_id = _shop(committed_app, "numbers")
    with committed_app.app_context(), tenant_context(shop_id):
        from tenants.models import Tenant

        vendor_id = make_vendor(db.session.get(Tenant, shop_id), name="Hillside").id
        db.session.commit()

    def record() -> None:
        free_bill(services.get_vendor(vendor_id), number="INV-77")

    made, refused, errors = _at_once(committed_app, shop_id, record)
    assert errors == [] and made == 1 and len(refused) == PEOPLE - 1
    assert all("Hillside's INV-77 is already recorded as" in message for message in refused)
    with committed_app.app_context(), tenant_context(shop_id):
        assert db.session.query(VendorBill).filter_by(vendor_number="INV-77").count() == 1
