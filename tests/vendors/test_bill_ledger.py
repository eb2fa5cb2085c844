"""Vendor bills in the ledger: an opened bill, its void, a credit note and a payment each post
one balanced entry on the shop's own purchasing accounts (once, whatever is replayed); the
chain still verifies; and none of it is money the mall owes the shop (balances, payouts and
the Money page are unchanged)."""

from __future__ import annotations

import html
import re
from datetime import date
from uuid import uuid4

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.checkpoints import make_checkpoints
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.posting import balance
from mall.ledger.statements import money_summary
from tenants.context import tenant_context
from tests.crawl.vendor_bills import make_open_bill, make_po, make_vendor
from vendors.bills import credits, payments, posting, services
from vendors.bills.services import BillLineInput

PURCHASING = (Account.SHOP_PURCHASES, Account.SHOP_VENDOR_PAYABLE, Account.SHOP_BANK)


def entries(kind: EntryKind) -> list[LedgerEntry]:
    return list(db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == kind)))


def lines_of(entry: LedgerEntry) -> list[tuple[str, int]]:
    return [(str(line.account), line.amount) for line in entry.lines]


def test_each_event_posts_once_on_the_shops_purchasing_accounts(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)  # 50.00, opened
        assert services.open_bill(bill, actor_id=None) is False  # a repeat
        posting.post_bill(bill, actor_id=None)  # the posting itself replayed
        [opened] = entries(EntryKind.VENDOR_BILL)
        assert opened.idempotency_key == f"vendor_bill:{bill.id}"
        assert lines_of(opened) == [("shop_purchases", 5000), ("shop_vendor_payable", -5000)]
        assert {line.shop_id for line in opened.lines} == {shop_a.id}

        vendor = services.get_vendor(bill.vendor_id)
        key = uuid4().hex
        for _ in range(2):
            payment, _ = payments.pay_bills(
                vendor,
                amounts={bill.id: 2000},
                paid_on=date(2026, 11, 20),
                method="cash",
                payment_key=key,
                actor_id=None,
            )
        posting.post_payment(payment, actor_id=None)
        [paid] = entries(EntryKind.BILL_PAYMENT)
        assert paid.idempotency_key == f"bill_payment:{payment.id}"
        assert lines_of(paid) == [("shop_vendor_payable", 2000), ("shop_bank", -2000)]

        credit_key = uuid4().hex
        for _ in range(2):
            note, _ = credits.credit_bill(
                bill,
                packs={},
                amount=500,
                issued_on=date(2026, 11, 21),
                credit_key=credit_key,
                actor_id=None,
            )
        [credited] = entries(EntryKind.VENDOR_CREDIT)
        assert credited.idempotency_key == f"vendor_credit:{note.id}"
        assert lines_of(credited) == [("shop_vendor_payable", 500), ("shop_purchases", -500)]

        # what the shop owes its vendor, on the books and on the bill
        assert balance(Account.SHOP_VENDOR_PAYABLE, shop_id=shop_a.id) == -2500
        assert services.get_bill(bill.id).owed == 2500
        assert balance(Account.SHOP_PURCHASES, shop_id=shop_a.id) == 4500
        assert balance(Account.SHOP_BANK, shop_id=shop_a.id) == -2000
    assert verify_chain().ok


def test_voiding_an_opened_bill_reverses_its_entry_once(app_ctx, shop_a):
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        assert services.void_bill(bill, actor_id=None)
        assert services.void_bill(bill, actor_id=None) is False
        posting.post_bill_void(bill, actor_id=None)
        [voided] = entries(EntryKind.VENDOR_BILL_VOID)
        assert voided.idempotency_key == f"vendor_bill_void:{bill.id}"
        assert lines_of(voided) == [("shop_vendor_payable", 5000), ("shop_purchases", -5000)]
        for account in PURCHASING:
            assert balance(account, shop_id=shop_a.id) == 0


def test_a_draft_posts_nothing_and_its_void_neither(app_ctx, shop_a):
    with tenant_context(shop_a):
        vendor = make_vendor(shop_a)
        po = make_po(shop_a, vendor)
        bill, _ = services.create_bill(
            vendor,
            po=po,
            lines=[BillLineInput(1, 100, po_line_id=po.lines[0].id)],
            issued_on=date(2026, 11, 1),
            bill_key=uuid4().hex,
            actor_id=None,
        )
        assert services.void_bill(bill, actor_id=None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_bills_leave_what_the_mall_owes_the_shop_alone(app_ctx, shop_a):
    before = money_summary(shop_a.id)
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        payments.pay_bills(
            services.get_vendor(bill.vendor_id),
            amounts={bill.id: 5000},
            paid_on=date(2026, 11, 20),
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()
    after = money_summary(shop_a.id)
    assert (after.pending, after.available, after.reserve, after.disputed, after.in_transit) == (
        before.pending,
        before.available,
        before.reserve,
        before.disputed,
        before.in_transit,
    )
    assert after.total == before.total == 0 and not after.payable
    make_checkpoints()  # a checkpoint round over the new accounts verifies too
    assert verify_chain().ok
    purchasing_lines = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerLine)
        .where(LedgerLine.account.in_([str(a) for a in PURCHASING]))
    )
    assert purchasing_lines == 4


def test_the_money_page_shows_none_of_the_purchasing_books(client, shop_a, member_of_a):
    before = client.get("/shop/shop-a/admin/money/")
    assert before.status_code == 200
    with tenant_context(shop_a):
        bill = make_open_bill(shop_a)
        payments.pay_bills(
            services.get_vendor(bill.vendor_id),
            amounts={bill.id: 1000},
            paid_on=date(2026, 11, 20),
            method="cash",
            payment_key=uuid4().hex,
            actor_id=None,
        )
        db.session.commit()
    after = client.get("/shop/shop-a/admin/money/")
    page = html.unescape(re.sub(r"\s+", " ", after.get_data(as_text=True)))
    for hidden in (
        "shop_purchases",
        "shop_vendor_payable",
        "shop_bank",
        "vendor_bill",
        "bill_payment",
    ):
        assert hidden not in page
