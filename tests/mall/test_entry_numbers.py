"""Quote and invoice numbers: per shop, without gaps, a rollback gives its number back; on
PostgreSQL, staff issuing at the same moment get consecutive numbers, and two customers
paying one invoice at once make one order."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.invoices.models import Invoice
from mall.orders.entry.errors import EntryError
from mall.orders.entry.lifecycle import issue_invoice, send_document
from mall.orders.entry.models import SalesDocument, SalesKind
from mall.orders.entry.services import create_document, get_sales_document
from mall.orders.entry.tokens import pay_token
from mall.orders.models import Order
from tenants.context import all_tenants, tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.mall import test_entry_documents as entry
from tests.mall.test_entry_documents import enter, typed
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.shopping import accept_manual_payments, stock_shop

WORKERS = 8
goods = entry.goods


def test_quote_numbers_are_per_shop_and_gap_free(goods, shop_a, shop_b):
    other = stock_shop(shop_b, price=500)
    with tenant_context(shop_b):
        other_sku = db.session.get(Variant, (shop_b.id, other.variant_id)).sku
    numbers = []
    for shop, sku in ((shop_a, goods.sku), (shop_a, goods.sku), (shop_b, other_sku)):
        with tenant_context(shop):
            quote = enter(shop, typed(sku, kind=SalesKind.QUOTE))
            send_document(quote, actor_id=None)
            send_document(quote, actor_id=None)  # sent again: the same number
            db.session.commit()
            numbers.append(quote.number)
    assert numbers == ["SHOPA-Q-1", "SHOPA-Q-2", "SHOPB-Q-1"]


def test_a_rolled_back_issue_gives_its_number_back(goods, shop_a):
    with tenant_context(shop_a):
        first = enter(shop_a, typed(goods.sku))
        db.session.commit()
        assert issue_invoice(first, actor_id=None)
        db.session.rollback()  # the request failed after issuing
        second = enter(shop_a, typed(goods.sku))
        assert issue_invoice(second, actor_id=None)
        db.session.commit()
        assert second.number == "SHOPA-INV-1"
        assert get_sales_document(first.id).number is None


def test_a_quote_is_not_issued_and_a_draft_has_no_number(goods, shop_a):
    with tenant_context(shop_a):
        quote = enter(shop_a, typed(goods.sku, kind=SalesKind.QUOTE))
        with pytest.raises(EntryError, match="convert"):
            issue_invoice(quote, actor_id=None)
        assert quote.number is None


# ---------------------------------------------------------------- PostgreSQL, real commits

committed_app = committed_app_fixture(WTF_CSRF_ENABLED=False)


def _shop_with_drafts(app, slug: str, count: int):
    with app.app_context():
        shop = create_shop(slug, name=slug.title(), status=TenantStatus.ACTIVE)
        db.session.commit()
        accept_manual_payments(shop)
        stocked = stock_shop(shop, price=1000, quantity=100)
        with tenant_context(shop):
            sku = db.session.get(Variant, (shop.id, stocked.variant_id)).sku
            ids = []
            for _ in range(count):
                made, _ = create_document(
                    typed(sku), shop=shop, actor_id=None, request_key=uuid4().hex
                )
                ids.append(made.id)
            db.session.commit()
        return shop.id, ids


def _race(app, work, count: int) -> list[BaseException]:
    ready = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with app.app_context():
                ready.wait(timeout=60)
                work(index)
                db.session.commit()
        except BaseException as error:  # surfaced by the caller
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@needs_committed_pg
def test_staff_issuing_at_once_get_consecutive_numbers(committed_app):
    shop_id, ids = _shop_with_drafts(committed_app, "race-issue", WORKERS)

    def issue(index: int) -> None:
        with tenant_context(shop_id):
            assert issue_invoice(get_sales_document(ids[index]), actor_id=None)

    assert _race(committed_app, issue, WORKERS) == []
    with committed_app.app_context(), tenant_context(shop_id):
        numbers = db.session.scalars(sa.select(SalesDocument.number)).all()
        sequences = sorted(db.session.scalars(sa.select(Invoice.sequence)).all())
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, WORKERS + 1))
    assert sequences == list(range(1, WORKERS + 1))


@needs_committed_pg
def test_two_payments_of_one_invoice_at_once_make_one_order(committed_app):
    shop_id, (document_id,) = _shop_with_drafts(committed_app, "race-pay", 1)
    with committed_app.app_context(), tenant_context(shop_id):
        document = get_sales_document(document_id)
        issue_invoice(document, actor_id=None)
        db.session.commit()
        token = pay_token(document)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def pay() -> None:
        client = committed_app.test_client()
        barrier.wait(timeout=60)
        codes.append(client.post(f"/pay/{token}", data={"method": "test"}).status_code)

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert codes == [303] * 4
    with committed_app.app_context(), all_tenants("test: the race's orders"):
        orders = db.session.scalars(sa.select(Order).where(Order.tenant_id == shop_id)).all()
        assert len(orders) == 1
        paid = db.session.scalar(
            sa.select(SalesDocument.order_id).where(SalesDocument.id == document_id)
        )
        assert paid == orders[0].id
