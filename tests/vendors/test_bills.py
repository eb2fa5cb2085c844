"""Vendor bills: billing within the vendor's policy (received or ordered), the override and
its reason, differences from the PO flagged for review (never blocked), a double submit is
one bill, voids give billed packs back, bad input answers at the field, another shop's
bills and POs answer 404, and the list costs the same queries whatever its length."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants.context import tenant_context
from tests.crawl.vendor_bills import make_open_bill, make_po, make_vendor
from vendors.bills import services
from vendors.bills.services import BillLineInput
from vendors.errors import PurchasingError
from vendors.models import BillStatus, PurchaseOrderLine, VendorBill

BASE = "/shop/shop-a/admin/purchasing"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def bill_of(vendor, po, packs: int, *, cost: int = 500, line: int = 0, **kw):
    """A draft bill of ``packs`` of the PO's line (service call): (bill, made)."""
    return services.create_bill(
        vendor,
        po=po,
        lines=[BillLineInput(packs, cost, po_line_id=po.lines[line].id)],
        issued_on=kw.pop("issued_on", date(2026, 11, 1)),
        bill_key=kw.pop("bill_key", uuid4().hex),
        actor_id=None,
        **kw,
    )


def billed(po, line: int = 0) -> int:
    db.session.expire_all()
    return db.session.get(PurchaseOrderLine, (po.tenant_id, po.lines[line].id)).quantity_billed


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def rows_of(response) -> str:
    """The text of the page's table body (not its filters)."""
    found = re.search(r"<tbody>(.*?)</tbody>", text(response), re.S)
    return found.group(1) if found else ""


# ---------------------------------------------------------------- the billing policy


def test_received_policy_bills_at_most_what_arrived(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 6, 500)], status="partially_received")
        with pytest.raises(PurchasingError, match="only 6 more packs may be billed"):
            bill_of(vendor, po, 7)
        bill, made = bill_of(vendor, po, 6)
        assert made and bill.status is BillStatus.DRAFT and bill.total == 3000
        assert billed(po) == 0  # a draft reserves nothing
        assert services.open_bill(bill, actor_id=None)
        assert billed(po) == 6
        with pytest.raises(PurchasingError, match="only 0 more packs"):
            bill_of(vendor, po, 1)


def test_ordered_policy_bills_up_to_ordered_less_closed(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a, policy="ordered")
        po = make_po(shop_a, vendor, lines=[(10, 0, 500)], status="sent")
        po.lines[0].quantity_closed = 2
        db.session.flush()
        with pytest.raises(PurchasingError, match="only 8 more packs may be billed"):
            bill_of(vendor, po, 9)
        bill, _ = bill_of(vendor, po, 8)
        assert services.open_bill(bill, actor_id=None)
        assert billed(po) == 8


def test_two_drafts_cannot_both_take_the_last_packs(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 10, 500)])
        first, _ = bill_of(vendor, po, 10)
        second, _ = bill_of(vendor, po, 10)
        assert services.open_bill(first, actor_id=None)
        with pytest.raises(PurchasingError, match="only 0 more packs"):
            services.open_bill(second, actor_id=None)
        db.session.rollback()


def test_an_override_reason_bills_past_the_limit_and_is_recorded(
    client, shop_a, member_of_a, no_csrf
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 4, 500)])
        bill, _ = bill_of(vendor, po, 10, override_reason="Vendor shipped the rest directly")
        assert services.open_bill(bill, actor_id=None)
        assert billed(po) == 10
        db.session.commit()
        bill_id = bill.id
    page = text(client.get(f"{BASE}/bills/{bill_id}"))
    assert "Override reason" in page and "Vendor shipped the rest directly" in page


def test_a_bill_that_differs_from_its_po_is_saved_for_review(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 10, 500), (5, 5, 200)])
        bill, _ = services.create_bill(
            vendor,
            po=po,
            lines=[
                BillLineInput(8, 550, po_line_id=po.lines[0].id),
                BillLineInput(5, 200, po_line_id=po.lines[1].id),
            ],
            issued_on=date(2026, 11, 1),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        # Eight of ten packs is a partial billing, not a difference: only the cost is flagged.
        assert bill.exceptions == [
            {"line": "Widget 1", "field": "unit_cost", "po": 500, "bill": 550},
        ]
        assert services.needs_review(bill)
        assert services.open_bill(bill, actor_id=None)  # never blocked
        db.session.commit()
        bill_id, reference = bill.id, bill.reference
    page = text(client.get(f"{BASE}/bills/{bill_id}"))
    assert "Needs review" in page
    assert "Cost per pack on the order $5.00, on the bill $5.50" in page
    listed = text(client.get(f"{BASE}/bills?status=review"))
    assert reference in listed
    response = client.post(f"{BASE}/bills/{bill_id}/review")
    assert response.status_code == 303
    assert "marked reviewed" in text(client.get(response.headers["Location"]))
    assert reference not in text(client.get(f"{BASE}/bills?status=review"))
    again = client.post(f"{BASE}/bills/{bill_id}/review", follow_redirects=True)
    assert "nothing was done" in text(again)


def test_due_date_follows_the_vendors_terms_unless_typed(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a, terms=45)
        po = make_po(shop_a, vendor)
        bill, _ = bill_of(vendor, po, 1)
        assert bill.due_on == date(2026, 11, 1) + timedelta(days=45)
        typed, _ = bill_of(vendor, po, 1, due_on=date(2026, 12, 24))
        assert typed.due_on == date(2026, 12, 24)
        with pytest.raises(PurchasingError, match="before the bill's date"):
            bill_of(vendor, po, 1, due_on=date(2026, 10, 1))


def test_a_po_of_another_vendor_or_a_draft_po_cannot_be_billed(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor, other = make_vendor(shop_a), make_vendor(shop_a, name="Other")
        po = make_po(shop_a, other)
        with pytest.raises(PurchasingError, match="not a purchase order of Acme"):
            bill_of(vendor, po, 1)
        draft = make_po(shop_a, vendor, status="draft")
        with pytest.raises(PurchasingError, match="is draft"):
            bill_of(vendor, draft, 1)


# ---------------------------------------------------------------- void


def test_voiding_an_open_bill_gives_its_packs_back(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor)
        bill, _ = bill_of(vendor, po, 10)
        services.open_bill(bill, actor_id=None)
        assert billed(po) == 10
        assert services.void_bill(bill, actor_id=None)
        assert bill.status is BillStatus.VOID and bill.voided_at is not None
        assert billed(po) == 0
        assert services.void_bill(bill, actor_id=None) is False  # a repeat
        again, _ = bill_of(vendor, po, 10)  # the packs can be billed again
        assert services.open_bill(again, actor_id=None)


def test_a_bill_with_a_payment_cannot_be_voided(app_ctx, shop_a):
    from vendors.bills.payments import pay_bills

    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        pay_bills(
            services.get_vendor(bill.vendor_id),
            amounts={bill.id: 100},
            paid_on=date(2026, 11, 2),
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        with pytest.raises(PurchasingError, match="cannot be voided"):
            services.void_bill(bill, actor_id=None)


# ---------------------------------------------------------------- the pages


def test_record_a_bill_from_a_po_through_the_page(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 6, 500)], status="partially_received")
        db.session.commit()
        po_id, line = po.id, po.lines[0].id
    page = client.get(f"{BASE}/bills/new?po={po_id}")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert f'name="qty-{line}"' in shown and 'value="6"' in shown
    assert 'value="5.00"' in shown
    key = uuid4().hex
    data = {
        "key": key,
        "vendor_number": "INV-991",
        "issued_on": "2026-11-01",
        f"qty-{line}": "6",
        f"cost-{line}": "5.00",
        "desc-0": "Freight",
        "fqty-0": "1",
        "fcost-0": "12.50",
        "then": "open",
    }
    response = client.post(f"{BASE}/bills/new?po={po_id}", data=data)
    assert response.status_code == 303
    shown = text(client.get(response.headers["Location"]))
    assert "recorded and opened" in shown and "INV-991" in shown and "$42.50" in shown
    assert "Open" in shown and "Freight" in shown
    twice = client.post(f"{BASE}/bills/new?po={po_id}", data=data)  # a double submit
    assert twice.status_code == 303
    assert "already recorded" in text(client.get(twice.headers["Location"]))
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorBill)) == 1
        assert db.session.scalars(sa.select(PurchaseOrderLine.quantity_billed)).one() == 6


def test_a_standalone_draft_then_opened(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        db.session.commit()
        vendor_id = vendor.id
    response = client.post(
        f"{BASE}/bills/new",
        data={
            "key": uuid4().hex,
            "vendor": str(vendor_id),
            "issued_on": "2026-11-01",
            "desc-0": "Consulting",
            "fqty-0": "2",
            "fcost-0": "100",
            "then": "draft",
        },
    )
    assert response.status_code == 303
    assert "saved as a draft" in text(client.get(response.headers["Location"]))
    opened = client.post(response.headers["Location"] + "/open", follow_redirects=True)
    assert "opened" in text(opened) and "$200.00" in text(opened)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fqty-0", "99999999999999999999999", "Enter a whole number from 1"),
        ("fqty-0", "0", "Enter a whole number from 1"),
        ("fcost-0", "1,5", "Use a point for the decimals"),
        ("fcost-0", "-3", "Enter an amount"),
        ("fcost-0", "9" * 30, "Enter an amount of at most"),
        ("desc-0", "", "Describe what is billed."),
    ],
)
def test_bad_lines_are_refused_at_their_field(
    client, shop_a, member_of_a, no_csrf, field, value, message
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        db.session.commit()
        vendor_id = vendor.id
    data = {
        "key": uuid4().hex,
        "vendor": str(vendor_id),
        "issued_on": "2026-11-01",
        "desc-0": "Consulting",
        "fqty-0": "2",
        "fcost-0": "100",
    }
    data[field] = value
    response = client.post(f"{BASE}/bills/new", data=data)
    assert response.status_code == 422
    shown = text(response)
    assert message in shown and f'id="{field}-error"' in response.get_data(as_text=True)
    assert 'value="Consulting"' in response.get_data(as_text=True) or field == "desc-0"


def test_nul_bytes_and_a_missing_vendor_are_refused(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        db.session.commit()
        vendor_id = vendor.id
    response = client.post(
        f"{BASE}/bills/new",
        data={
            "key": uuid4().hex,
            "vendor": str(uuid4()),
            "issued_on": "2026-11-01",
            "desc-0": "x",
            "fqty-0": "1",
            "fcost-0": "1",
        },
    )
    assert response.status_code == 422 and "Choose the vendor." in text(response)
    response = client.post(
        f"{BASE}/bills/new",
        data={
            "key": uuid4().hex,
            "vendor": str(vendor_id),
            "issued_on": "2026-11-01",
            "vendor_number": "A\x00B",
            "desc-0": "Pens\x00",
            "fqty-0": "1",
            "fcost-0": "1",
        },
    )
    # The app refuses control characters before any view (mall.security): nothing saved.
    assert response.status_code == 400
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorBill)) == 0


def test_past_the_limit_the_page_says_so_and_keeps_the_typing(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor, lines=[(10, 6, 500)])
        db.session.commit()
        po_id, line = po.id, po.lines[0].id
    response = client.post(
        f"{BASE}/bills/new?po={po_id}",
        data={
            "key": uuid4().hex,
            "issued_on": "2026-11-01",
            f"qty-{line}": "9",
            f"cost-{line}": "5.00",
            "then": "open",
        },
    )
    assert response.status_code == 409
    shown = text(response)
    assert "only 6 more packs may be billed" in shown and 'value="9"' in shown


# ---------------------------------------------------------------- isolation, lists


def test_another_shops_bills_and_pos_answer_404(client, shop_a, shop_b, member_of_a, no_csrf):
    with tenant_context(shop_b):
        bill = make_open_bill(shop_b)
        db.session.commit()
        bill_id, po_id, reference = bill.id, bill.po_id, bill.reference
    assert client.get(f"{BASE}/bills/{bill_id}").status_code == 404
    for action in ("open", "void", "review"):
        assert client.post(f"{BASE}/bills/{bill_id}/{action}").status_code == 404
    assert client.get(f"{BASE}/bills/{bill_id}/credit").status_code == 404
    assert client.get(f"{BASE}/bills/new?po={po_id}").status_code == 404
    assert client.get(f"{BASE}/bills/new?po=not-a-uuid").status_code == 404
    with tenant_context(shop_b):
        db.session.expire_all()
        assert db.session.get(VendorBill, (shop_b.id, bill_id)).status is BillStatus.OPEN
    assert reference not in text(client.get(f"{BASE}/bills"))


def test_the_list_filters_and_costs_the_same_queries_for_more_bills(
    client, shop_a, member_of_a, count_queries
):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        make_open_bill(shop_a, vendor=vendor)
        db.session.commit()
        vendor_id = vendor.id
    with count_queries() as few:
        assert client.get(f"{BASE}/bills").status_code == 200
    with tenant_context(shop_a):
        for n in range(6):
            make_open_bill(shop_a, vendor=make_vendor(shop_a, name=f"Vendor {n}"))
        db.session.commit()
    with count_queries() as many:
        page = client.get(f"{BASE}/bills")
    assert page.status_code == 200 and "Vendor 5" in rows_of(page)
    assert many.count == few.count
    assert client.get(f"{BASE}/bills?status=bogus").status_code == 400
    assert client.get(f"{BASE}/bills?vendor=nope").status_code == 404
    only = rows_of(client.get(f"{BASE}/bills?vendor={vendor_id}&status=open"))
    assert "Acme Supplies" in only and "Vendor 5" not in only


def test_dates_past_any_plausible_bill_are_refused(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a, terms=3650)
        db.session.commit()
        vendor_id = vendor.id
    base = {
        "key": uuid4().hex,
        "vendor": str(vendor_id),
        "desc-0": "Pens",
        "fqty-0": "1",
        "fcost-0": "1",
    }
    late = client.post(f"{BASE}/bills/new", data={**base, "issued_on": "9999-12-31"})
    assert late.status_code == 409
    assert "Enter a bill date between 2000-01-01 and 2099-12-31." in text(late)
    due = client.post(
        f"{BASE}/bills/new", data={**base, "issued_on": "2026-11-01", "due_on": "9999-12-31"}
    )
    assert due.status_code == 409 and "Enter a due date between" in text(due)
    nonsense = client.post(f"{BASE}/bills/new", data={**base, "issued_on": "99999-01-01"})
    assert nonsense.status_code == 422


def test_the_new_bill_page_offers_the_pos_that_can_be_billed(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        make_po(shop_a, vendor, number="A-PO-1")
        make_po(shop_a, vendor, number="A-PO-2", status="draft")
        db.session.commit()
    page = text(client.get(f"{BASE}/bills/new"))
    assert "A-PO-1 · Acme Supplies" in page and "A-PO-2" not in page


def test_the_list_pages_by_position(client, shop_a, member_of_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        for n in range(27):
            services.create_bill(
                vendor,
                lines=[BillLineInput(1, 100 + n, description=f"Item {n}")],
                issued_on=date(2026, 11, 1),
                bill_key=uuid4().hex,
                actor_id=None,
            )
        db.session.commit()
        references = list(
            db.session.scalars(
                sa.select(VendorBill.reference).order_by(
                    VendorBill.created_at.desc(), VendorBill.id.desc()
                )
            )
        )
    first = client.get(f"{BASE}/bills").get_data(as_text=True)
    older = re.search(r'href="([^"]*older=[^"]*)"', first)
    shown = [f">{reference}<" for reference in references]
    assert older and shown[0] in first and shown[26] not in rows_of_html(first)
    second = rows_of_html(client.get(html.unescape(older.group(1))).get_data(as_text=True))
    assert shown[25] in second and shown[26] in second
    assert shown[24] not in second


def rows_of_html(page: str) -> str:
    found = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return found.group(1) if found else ""
