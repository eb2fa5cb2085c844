"""Paying vendor bills and vendor credit notes: one payment over several bills of one vendor
(partial allowed, each part within what is owed, the parts sum to the payment), a repeat
is one payment, owners only; a credit note lowers what is owed, gives its packs back to
the PO and never exceeds what is owed; another vendor's or shop's bill is refused."""

from __future__ import annotations

import html
import re
import threading
from datetime import date
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.crawl.vendor_bills import make_open_bill, make_po, make_vendor
from tests.support.committed import committed_app_fixture, needs_committed_pg
from vendors.bills import credits, payments, services
from vendors.bills.services import BillLineInput
from vendors.errors import PurchasingError
from vendors.models import (
    BillPayment,
    BillPaymentAllocation,
    BillStatus,
    PurchaseOrderLine,
    VendorBill,
    VendorCredit,
)

BASE = "/shop/shop-a/admin/purchasing"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def pay(vendor, amounts, *, key=None):
    return payments.pay_bills(
        vendor,
        amounts=amounts,
        paid_on=date(2026, 11, 20),
        method="bank_transfer",
        reference="TR-1",
        payment_key=key or uuid4().hex,
        actor_id=None,
    )


def fresh(bill) -> VendorBill:
    db.session.expire_all()
    return db.session.get(VendorBill, (bill.tenant_id, bill.id))


# ---------------------------------------------------------------- payments


def test_partial_payments_over_several_bills_sum_up(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        first = make_open_bill(shop_a, vendor=vendor)  # 5,000 each
        second = make_open_bill(shop_a, vendor=vendor)
        payment, made = pay(vendor, {first.id: 5000, second.id: 1200})
        assert made and payment.amount == 6200
        parts = db.session.scalars(sa.select(BillPaymentAllocation.amount)).all()
        assert sorted(parts) == [1200, 5000] and sum(parts) == payment.amount
        assert fresh(first).status is BillStatus.PAID and fresh(first).owed == 0
        assert fresh(second).status is BillStatus.PARTIALLY_PAID and fresh(second).owed == 3800
        pay(vendor, {second.id: 3000})
        pay(vendor, {second.id: 800})
        assert fresh(second).status is BillStatus.PAID and fresh(second).paid == 5000
        with pytest.raises(PurchasingError, match="is paid: nothing to pay"):
            pay(vendor, {second.id: 1})


def test_a_payment_never_pays_more_than_owed(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        vendor = services.get_vendor(bill.vendor_id)
        with pytest.raises(PurchasingError, match=r"pay at most \$50.00"):
            pay(vendor, {bill.id: 5001})
        with pytest.raises(PurchasingError, match="Enter an amount to pay"):
            pay(vendor, {bill.id: 0})


def test_the_same_payment_key_pays_once(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        vendor = services.get_vendor(bill.vendor_id)
        key = uuid4().hex
        first, made = pay(vendor, {bill.id: 1000}, key=key)
        again, made_again = pay(vendor, {bill.id: 1000}, key=key)
        assert made and not made_again and again.id == first.id
        assert fresh(bill).paid == 1000
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BillPayment)) == 1


def test_a_payment_cannot_include_another_vendors_or_shops_bill(app_ctx, shop_a, shop_b):
    with tenant_context(shop_b):
        theirs = make_open_bill(shop_b)
        db.session.commit()
        theirs_id = theirs.id
    with tenant_context(shop_a):
        mine = make_open_bill(shop_a)
        other = make_open_bill(shop_a, vendor=make_vendor(shop_a, name="Other Co"))
        vendor = services.get_vendor(mine.vendor_id)
        with pytest.raises(PurchasingError, match="pay one vendor at a time"):
            pay(vendor, {mine.id: 100, other.id: 100})
        with pytest.raises(PurchasingError, match="pay one vendor at a time"):
            pay(vendor, {mine.id: 100, theirs_id: 100})
        assert fresh(mine).paid == 0 and fresh(other).paid == 0
    with tenant_context(shop_b):
        assert db.session.get(VendorBill, (shop_b.id, theirs_id)).paid == 0


def test_pay_through_the_page(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        first = make_open_bill(shop_a, vendor=vendor)
        second = make_open_bill(shop_a, vendor=vendor)
        db.session.commit()
        vendor_id, first_id, second_id = vendor.id, first.id, second.id
        second_ref = second.reference
    page = client.get(f"{BASE}/payments/new?vendor={vendor_id}")
    assert page.status_code == 200 and second_ref in text(page)
    data = {
        "key": uuid4().hex,
        "paid_on": "2026-11-20",
        "method": "cheque",
        "reference": "CHQ 0042",
        f"pay-{first_id}": "50.00",
        f"pay-{second_id}": "12.34",
    }
    response = client.post(f"{BASE}/payments/new?vendor={vendor_id}", data=data)
    assert response.status_code == 303
    shown = text(client.get(response.headers["Location"]))
    assert "Payment recorded." in shown and "$62.34" in shown and "Cheque" in shown
    assert "CHQ 0042" in shown and "$37.66" in shown  # still owed on the second
    twice = client.post(f"{BASE}/payments/new?vendor={vendor_id}", data=data)
    assert twice.headers["Location"] == response.headers["Location"]
    assert "already recorded" in text(client.get(twice.headers["Location"]))
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BillPayment)) == 1


def test_a_bad_amount_is_refused_at_its_field(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        vendor_id, bill_id = bill.vendor_id, bill.id
    base = {"key": uuid4().hex, "paid_on": "2026-11-20", "method": "cash"}
    bad = client.post(
        f"{BASE}/payments/new?vendor={vendor_id}", data={**base, f"pay-{bill_id}": "12,5"}
    )
    assert bad.status_code == 422 and "Use a point for the decimals" in text(bad)
    assert f'id="pay-{bill_id}-error"' in bad.get_data(as_text=True)
    too_much = client.post(
        f"{BASE}/payments/new?vendor={vendor_id}", data={**base, f"pay-{bill_id}": "50.01"}
    )
    assert too_much.status_code == 409 and "pay at most $50.00" in text(too_much)
    method = client.post(
        f"{BASE}/payments/new?vendor={vendor_id}",
        data={**base, "method": "gold", f"pay-{bill_id}": "1"},
    )
    assert method.status_code == 422


def test_only_owners_pay_bills(client, shop_a, make_user, sign_in, no_csrf):
    manager = make_user("manager@example.com")
    db.session.add(Membership(user_id=manager.id, tenant_id=shop_a.id, role=Role.MANAGER))
    db.session.commit()
    sign_in(manager)
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        vendor_id, bill_id = bill.vendor_id, bill.id
    assert client.get(f"{BASE}/payments/new?vendor={vendor_id}").status_code == 403
    assert client.post(f"{BASE}/payments/new?vendor={vendor_id}").status_code == 403
    page = text(client.get(f"{BASE}/bills/{bill_id}"))  # managers still see the bill
    assert "Record a credit note" in page and ">Pay<" not in page


def test_another_shops_payment_and_vendor_answer_404(client, shop_a, shop_b, member_of_a, no_csrf):
    with tenant_context(shop_b):
        bill = make_open_bill(shop_b)
        payment, _ = pay(services.get_vendor(bill.vendor_id), {bill.id: 100})
        db.session.commit()
        payment_id, vendor_id, bill_id = payment.id, bill.vendor_id, bill.id
    assert client.get(f"{BASE}/payments/{payment_id}").status_code == 404
    assert client.get(f"{BASE}/payments/new?vendor={vendor_id}").status_code == 404
    response = client.post(
        f"{BASE}/payments/new?vendor={vendor_id}",
        data={"key": uuid4().hex, "paid_on": "2026-11-20", "method": "cash", f"pay-{bill_id}": "1"},
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- credit notes


def credit(bill, *, packs=None, amount=0, key=None):
    return credits.credit_bill(
        bill,
        packs=packs or {},
        amount=amount,
        issued_on=date(2026, 11, 10),
        credit_key=key or uuid4().hex,
        actor_id=None,
        reason="Two arrived broken",
    )


def test_a_credit_note_gives_packs_back_and_lowers_what_is_owed(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)  # 10 packs at 5.00 of a PO line received 10
        line = bill.lines[0]
        note, made = credit(bill, packs={line.id: 2}, amount=150)
        assert made and note.total == 2 * 500 + 150 and note.reference.endswith("-VCN-1")
        bill = fresh(bill)
        assert bill.credited == 1150 and bill.owed == 3850 and bill.status is BillStatus.OPEN
        po_line = db.session.get(PurchaseOrderLine, (shop_a.id, line.po_line_id))
        assert po_line.quantity_billed == 8  # two packs may be billed again
        with pytest.raises(PurchasingError, match="at most 8 packs can be credited"):
            credit(bill, packs={line.id: 9})
        again, made_again = credit(bill, packs={line.id: 2}, key=note.credit_key)
        assert not made_again and again.id == note.id and fresh(bill).credited == 1150


def test_a_credit_note_never_exceeds_what_is_owed(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        pay(services.get_vendor(bill.vendor_id), {bill.id: 4000})
        bill = fresh(bill)
        with pytest.raises(PurchasingError, match=r"more than .* still owes \(\$10.00\)"):
            credit(bill, amount=1001)
        with pytest.raises(PurchasingError, match="Enter packs to credit or an amount"):
            credit(bill)
        credit(bill, amount=1000)
        assert fresh(bill).status is BillStatus.PAID and fresh(bill).owed == 0
        with pytest.raises(PurchasingError, match="only an open bill can be credited"):
            credit(fresh(bill), amount=1)


def test_credit_through_the_page(client, shop_a, member_of_a, no_csrf):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        db.session.commit()
        bill_id, line_id = bill.id, bill.lines[0].id
    assert client.get(f"{BASE}/bills/{bill_id}/credit").status_code == 200
    data = {
        "key": uuid4().hex,
        "issued_on": "2026-11-10",
        "vendor_number": "CR-7",
        f"packs-{line_id}": "1",
        "amount": "2.50",
        "reason": "Dented",
    }
    response = client.post(f"{BASE}/bills/{bill_id}/credit", data=data)
    assert response.status_code == 303
    shown = text(client.get(response.headers["Location"]))
    assert "Credit note" in shown and "CR-7" in shown and "$7.50" in shown and "Dented" in shown
    assert "$42.50" in shown  # owed: 50.00 - 7.50
    bad = client.post(
        f"{BASE}/bills/{bill_id}/credit",
        data={**data, "key": uuid4().hex, f"packs-{line_id}": "11"},
    )
    assert bad.status_code == 409 and "at most 9 packs can be credited" in text(bad)
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorCredit)) == 1


def test_an_ordered_policy_bill_credited_can_be_billed_again(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a, policy="ordered")
        po = make_po(shop_a, vendor, lines=[(4, 0, 100)], status="sent")
        bill, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(4, 100, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 1),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        services.open_bill(bill, actor_id=None)
        credit(bill, packs={bill.lines[0].id: 1})
        again, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(1, 100, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 2),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        assert services.open_bill(again, actor_id=None)


# ---------------------------------------------------------------- at once (PostgreSQL)

committed_app = committed_app_fixture()
PEOPLE = 6


def _at_once(app, shop_id, work) -> tuple[int, list[str], list[BaseException]]:
    """``work()`` in ``PEOPLE`` threads started together, each committing in the shop's
    context: (how many went through, the refusals, unexpected errors)."""
    start = threading.Barrier(PEOPLE)
    done, refused, errors = [], [], []

    def person() -> None:
        try:
            with app.app_context(), tenant_context(shop_id):
                start.wait()
                try:
                    work()
                    db.session.commit()
                    done.append(1)
                except PurchasingError as error:
                    db.session.rollback()
                    refused.append(str(error))
        except BaseException as error:  # surfaced by the test
            errors.append(error)

    threads = [threading.Thread(target=person) for _ in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return len(done), refused, errors


def _shop(app, slug: str):
    from tenants.models import TenantStatus
    from tenants.services import create_shop

    with app.app_context():
        shop = create_shop(
            f"{slug}-{uuid4().hex[:8]}", name="Busy Bills", status=TenantStatus.ACTIVE
        )
        db.session.commit()
        return shop.id


@needs_committed_pg
def test_bills_opened_at_once_never_bill_past_what_arrived(committed_app):
    shop_id = _shop(committed_app, "bills")
    with committed_app.app_context(), tenant_context(shop_id):
        from tenants.models import Tenant

        shop = db.session.get(Tenant, shop_id)
        vendor = make_vendor(shop)
        po = make_po(shop, vendor, lines=[(10, 10, 100)])
        bill_ids = [
            services.create_bill(
                vendor,
                po=po,
                lines=[BillLineInput(3, 100, po_line_id=po.lines[0].id)],
                issued_on=date(2026, 11, 1),
                bill_key=uuid4().hex,
                actor_id=None,
            )[0].id
            for _ in range(PEOPLE)
        ]
        db.session.commit()
    ids = iter(bill_ids)
    lock = threading.Lock()

    def open_one() -> None:
        with lock:
            bill_id = next(ids)
        services.open_bill(services.get_bill(bill_id), actor_id=None)

    opened, refused, errors = _at_once(committed_app, shop_id, open_one)
    assert errors == [] and opened == 3 and len(refused) == PEOPLE - 3
    assert all("Widget 1: only 1 more packs may be billed" in message for message in refused)
    with committed_app.app_context(), tenant_context(shop_id):
        assert db.session.scalars(sa.select(PurchaseOrderLine.quantity_billed)).one() == 9
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(VendorBill)
                .where(VendorBill.status == BillStatus.OPEN)
            )
            == 3
        )


@needs_committed_pg
def test_payments_at_once_never_pay_more_than_owed(committed_app):
    shop_id = _shop(committed_app, "payments")
    with committed_app.app_context(), tenant_context(shop_id):
        from tenants.models import Tenant

        bill = make_open_bill(db.session.get(Tenant, shop_id))  # 50.00
        db.session.commit()
        bill_id, vendor_id = bill.id, bill.vendor_id

    def pay_some() -> None:
        pay(services.get_vendor(vendor_id), {bill_id: 2000})

    paid, refused, errors = _at_once(committed_app, shop_id, pay_some)
    assert errors == [] and paid == 2 and len(refused) == PEOPLE - 2
    with committed_app.app_context(), tenant_context(shop_id):
        bill = services.get_bill(bill_id)
        assert bill.paid == 4000 and bill.status is BillStatus.PARTIALLY_PAID
        total = db.session.scalar(sa.select(sa.func.sum(BillPaymentAllocation.amount)))
        assert total == 4000
