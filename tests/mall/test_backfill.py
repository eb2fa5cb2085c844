"""``flask mall backfill``: orders paid before invoices and the CRM existed get their invoices
(numbered in order of payment after the shop's last number, no gaps), their refunds' credit
notes and their customers' records; a second run changes nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.crm import subscribers as crm_subscribers
from mall.crm.customers import find_customer
from mall.crm.models import CrmCustomer
from mall.db import utcnow
from mall.extensions import db
from mall.invoices import subscribers as invoice_subscribers
from mall.invoices.models import DocumentKind, Invoice, InvoiceCounter
from mall.orders.models import Order, OrderStatus
from mall.orders.refunds import RefundRequest, refund_order
from mall.orders.services import mark_order_paid
from mall.signals import order_paid, order_refunded
from tenants.context import tenant_context
from tests.crawl.orders import place_order

ALICE = "alice.early@example.com"
BOB = "bob.early@example.com"
DAVE = "dave.deleted@example.com"


@contextmanager
def before_invoices_and_crm():
    """As when invoices and the CRM did not exist yet: nobody listens to payments and refunds."""
    listeners = (
        (order_paid, invoice_subscribers.on_order_paid),
        (order_refunded, invoice_subscribers.on_order_refunded),
        (order_paid, crm_subscribers.on_order_paid),
        (order_refunded, crm_subscribers.on_order_refunded),
    )
    for signal, listener in listeners:
        signal.disconnect(listener)
    try:
        yield
    finally:
        for signal, listener in listeners:
            signal.connect(listener)


def placed(shop, email: str, *, erased: bool = False) -> Order:
    """An order of ``shop`` by ``email``, its checkout holding the email as the storefront's do
    (``erased``: none any more, as after the account's deletion). Flushed, not paid."""
    order = place_order(shop, email=email)
    if not erased:
        db.session.get(Checkout, order.checkout_id).email = email
    return order


def paid(order: Order, *, minutes_ago: int) -> None:
    assert mark_order_paid(order)
    order.paid_at = utcnow() - timedelta(minutes=minutes_ago)


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["mall", "backfill", *args])
    assert result.exit_code == 0, result.output
    return result.output


def documents(shop) -> list[SimpleNamespace]:
    with tenant_context(shop):
        db.session.expire_all()
        return [
            SimpleNamespace(
                kind=row.kind,
                number=row.number,
                sequence=row.sequence,
                order_id=row.order_id,
                source_id=row.source_id,
                total=row.total,
                snapshot=row.snapshot,
            )
            for row in db.session.scalars(
                sa.select(Invoice).order_by(Invoice.kind, Invoice.sequence)
            )
        ]


def customer(shop, email: str) -> tuple[int, int] | None:
    with tenant_context(shop):
        db.session.expire_all()
        row = find_customer(email)
        return (row.orders_count, row.lifetime_value) if row else None


def crm_rows(shop) -> int:
    with tenant_context(shop):
        return db.session.scalar(sa.select(sa.func.count()).select_from(CrmCustomer))


@pytest.fixture
def history(app_ctx, shop_a, shop_b):
    """Shop A sold once with invoices and the CRM on (Alice: SHOPA-INV-1); before that, with
    them off, it was paid by Bob twice (one refunded in part), Alice once more, Dave (who has
    since deleted his account) and an order paid after its stock was sold. Shop B sold once,
    before. Orders are paid in another order than they were placed."""
    with tenant_context(shop_a):
        live = placed(shop_a, ALICE)
        paid(live, minutes_ago=0)
        db.session.commit()
        with before_invoices_and_crm():
            bob_1, alice_2, bob_2, dave, short = (
                placed(shop_a, email, erased=email == DAVE)
                for email in (BOB, ALICE, BOB, DAVE, BOB)
            )
            paid(bob_2, minutes_ago=50)
            paid(alice_2, minutes_ago=40)
            paid(bob_1, minutes_ago=30)
            paid(dave, minutes_ago=20)
            paid(short, minutes_ago=10)
            short.status = OrderStatus.PAID_OUT_OF_STOCK  # never announced as paid
            refund, _ = refund_order(bob_1, RefundRequest(amount=300), actor_id=None, key="r-1")
            db.session.commit()
        orders = {
            name: SimpleNamespace(id=order.id, total=order.total, refunded=order.refunded_amount)
            for name, order in (
                ("live", live),
                ("bob_1", bob_1),
                ("alice_2", alice_2),
                ("bob_2", bob_2),
                ("dave", dave),
                ("short", short),
            )
        }
        refund_id = refund.id
    with tenant_context(shop_b), before_invoices_and_crm():
        orders["b"] = SimpleNamespace(id=paid_in(shop_b))
    return SimpleNamespace(orders=orders, refund_id=refund_id)


def paid_in(shop):
    order = placed(shop, ALICE)
    paid(order, minutes_ago=5)
    db.session.commit()
    return order.id


def test_the_backfill_issues_what_is_missing_in_order_of_payment_then_does_nothing(
    app, shop_a, shop_b, history
):
    orders = history.orders
    assert [d.number for d in documents(shop_a)] == ["SHOPA-INV-1"]
    assert customer(shop_a, ALICE) == (1, orders["live"].total)
    assert customer(shop_a, BOB) is None

    output = run(app)

    assert "shop-a: 4 invoice(s), 1 credit note(s), 2 customer record(s)" in output
    assert "shop-b: 1 invoice(s), 0 credit note(s), 1 customer record(s)" in output
    invoices = [d for d in documents(shop_a) if d.kind is DocumentKind.INVOICE]
    # After the existing number, in order of payment (not of placing), without a gap.
    assert [(d.number, d.order_id) for d in invoices] == [
        ("SHOPA-INV-1", orders["live"].id),
        ("SHOPA-INV-2", orders["bob_2"].id),
        ("SHOPA-INV-3", orders["alice_2"].id),
        ("SHOPA-INV-4", orders["bob_1"].id),
        ("SHOPA-INV-5", orders["dave"].id),
    ]
    assert [d.sequence for d in invoices] == [1, 2, 3, 4, 5]
    assert orders["short"].id not in {d.order_id for d in invoices}
    (note,) = [d for d in documents(shop_a) if d.kind is DocumentKind.CREDIT_NOTE]
    assert (note.number, note.source_id, note.total) == ("SHOPA-CN-1", history.refund_id, 300)
    assert note.snapshot["invoice_number"] == "SHOPA-INV-4"
    assert [(d.number, d.order_id) for d in documents(shop_b)] == [("SHOPB-INV-1", orders["b"].id)]
    # The CRM's totals are the shop's paid orders of each email, less refunds.
    assert customer(shop_a, ALICE) == (2, orders["live"].total + orders["alice_2"].total)
    bob_value = orders["bob_1"].total - 300 + orders["bob_2"].total + orders["short"].total
    assert customer(shop_a, BOB) == (3, bob_value)  # as ``record_order`` counts them live
    assert customer(shop_a, DAVE) is None  # his account is deleted: no record comes back
    assert customer(shop_b, ALICE) is not None

    before = (documents(shop_a), documents(shop_b), crm_rows(shop_a), crm_rows(shop_b))
    again = run(app)
    assert "Nothing to do" in again
    assert (documents(shop_a), documents(shop_b), crm_rows(shop_a), crm_rows(shop_b)) == before
    with tenant_context(shop_a):
        counters = dict(
            db.session.execute(sa.select(InvoiceCounter.series, InvoiceCounter.last_number)).all()
        )
    assert counters == {DocumentKind.INVOICE: 5, DocumentKind.CREDIT_NOTE: 1}


def test_a_stale_customer_total_is_corrected(app, shop_a, history):
    run(app, "--shop", "shop-a")
    with tenant_context(shop_a):
        find_customer(ALICE).lifetime_value = 1  # out of date, however it happened
        db.session.commit()
    output = run(app, "--shop", "shop-a")
    assert "shop-a: 0 invoice(s), 0 credit note(s), 1 customer record(s)" in output
    assert customer(shop_a, ALICE) == (
        2,
        history.orders["live"].total + history.orders["alice_2"].total,
    )


def test_one_shop_only_and_an_unknown_one(app, shop_a, shop_b, history):
    output = run(app, "--shop", "shop-b")
    assert "shop-b: 1 invoice(s)" in output and "shop-a" not in output
    assert [d.number for d in documents(shop_a)] == ["SHOPA-INV-1"]
    unknown = app.test_cli_runner().invoke(args=["mall", "backfill", "--shop", "nope"])
    assert unknown.exit_code == 2
    assert "no shop with the slug 'nope'" in unknown.output


def test_small_batches_walk_every_order(app, shop_a, history, monkeypatch):
    from mall.crm import backfill as crm_backfill
    from mall.invoices import backfill as invoice_backfill

    for module in (crm_backfill, invoice_backfill):
        monkeypatch.setattr(module, "BATCH", 1)
    output = run(app, "--shop", "shop-a")
    assert "shop-a: 4 invoice(s), 1 credit note(s), 2 customer record(s)" in output
    assert "Nothing to do" in run(app, "--shop", "shop-a")


def test_an_order_anonymised_after_retention_gets_no_buyer_and_no_customer(app, shop_a):
    from mall.accounts.retention import anonymise_orders

    with tenant_context(shop_a), before_invoices_and_crm():
        order = placed(shop_a, "old.timer@example.com")
        paid(order, minutes_ago=1)
        anonymise_orders([order])
        db.session.commit()
    assert "shop-a: 1 invoice(s), 0 credit note(s), 0 customer record(s)" in run(app)
    with tenant_context(shop_a):
        (invoice,) = db.session.scalars(sa.select(Invoice)).all()
        assert invoice.buyer_json is None and invoice.total == order.total
    assert crm_rows(shop_a) == 0
