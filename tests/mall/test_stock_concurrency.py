"""Concurrent stock adjustments on PostgreSQL lose none (real commits, real threads)."""

from __future__ import annotations

import threading

from mall.catalog import services
from mall.catalog.models import StockReason, Variant
from mall.catalog.services import ProductInput, VariantInput
from mall.catalog.stock import OutOfStock, adjust_stock, movements_total
from mall.extensions import db
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.support.committed import committed_app_fixture, needs_committed_pg

THREADS, ROUNDS = 4, 25

pytestmark = needs_committed_pg
committed_app = committed_app_fixture()


def make_variant(app) -> tuple:
    with app.app_context():
        shop = create_shop("busy-shop", name="Busy Shop", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            product = services.create_product(
                ProductInput(title="Hot Item", variants=[VariantInput(sku="HOT-1", price=500)])
            )
            adjust_stock(product.variants[0], 10, reason=StockReason.RECEIPT)
            ids = shop.id, product.variants[0].id
        db.session.commit()
        return ids


def test_concurrent_adjustments_lose_none(committed_app):
    shop_id, variant_id = make_variant(committed_app)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        try:
            start.wait()
            for _ in range(ROUNDS):
                with committed_app.app_context(), tenant_context(shop_id):
                    variant = scoped_get(Variant, variant_id)
                    # Receipts of +2 and adjustments of -1 from every thread at once.
                    delta = 2 if n % 2 else -1
                    reason = StockReason.RECEIPT if delta > 0 else StockReason.ADJUSTMENT
                    adjust_stock(variant, delta, reason=reason)
                    db.session.commit()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    expected = 10 + ROUNDS * sum(2 if n % 2 else -1 for n in range(THREADS))
    with committed_app.app_context(), tenant_context(shop_id):
        variant = scoped_get(Variant, variant_id)
        assert variant.stock_quantity == expected == movements_total(variant)


def test_concurrent_sales_never_oversell(committed_app):
    with committed_app.app_context():
        shop = create_shop("flash-sale", name="Flash Sale", status=TenantStatus.ACTIVE)
        with tenant_context(shop):
            product = services.create_product(
                ProductInput(title="Limited", variants=[VariantInput(sku="LTD-1", price=900)])
            )
            adjust_stock(product.variants[0], 5, reason=StockReason.RECEIPT)
            shop_id, variant_id = shop.id, product.variants[0].id
        db.session.commit()
    sold, refused = [], []
    start = threading.Barrier(8)

    def buyer() -> None:
        start.wait()
        with committed_app.app_context(), tenant_context(shop_id):
            try:
                adjust_stock(scoped_get(Variant, variant_id), -1, reason=StockReason.SALE)
                db.session.commit()
                sold.append(1)
            except OutOfStock:
                db.session.rollback()
                refused.append(1)

    threads = [threading.Thread(target=buyer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (len(sold), len(refused)) == (5, 3)
    with committed_app.app_context(), tenant_context(shop_id):
        variant = scoped_get(Variant, variant_id)
        assert variant.stock_quantity == 0 == movements_total(variant)
