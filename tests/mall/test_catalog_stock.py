"""Stock: movements are the truth (the quantity is their sum); the back office records them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog import services
from mall.catalog.models import StockMovement, StockReason, Variant
from mall.catalog.services import CatalogError
from mall.catalog.stock import InvalidMovement, OutOfStock, adjust_stock, movements_total
from mall.extensions import db
from mall.numbers import MAX_COUNT
from tenants.context import tenant_context

CATALOG = "/shop/shop-a/admin/catalog"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def make_product(shop, title="Tee", *, threshold=0, **variant):
    """A product with sizes S and M; returns (product id, [variant ids])."""
    with tenant_context(shop):
        product = services.create_product(
            services.ProductInput(
                title=title,
                options=[{"name": "Size", "values": ["S", "M"]}],
                variants=[
                    services.VariantInput(
                        sku=f"{title.upper()}-{size}",
                        price=1000,
                        option_values={"Size": size},
                        low_stock_threshold=threshold,
                        **variant,
                    )
                    for size in ("S", "M")
                ],
            )
        )
        db.session.commit()
        return product.id, [v.id for v in product.variants]


def variant(shop, variant_id) -> Variant:
    with tenant_context(shop):
        db.session.expire_all()
        row = db.session.get(Variant, (shop.id, variant_id))
        db.session.refresh(row)
        return row


# ---------------------------------------------------------------- the stock service


def test_the_quantity_always_equals_the_sum_of_movements(app_ctx, shop_a):
    _, (small, _) = make_product(shop_a)
    steps = [
        (10, StockReason.RECEIPT),
        (-3, StockReason.SALE),
        (-2, StockReason.ADJUSTMENT),
        (1, StockReason.RETURN),
        (-6, StockReason.SALE),
        (25, StockReason.RECEIPT),
        (4, StockReason.ADJUSTMENT),
    ]
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, small))
        expected = 0
        for delta, reason in steps:
            adjust_stock(row, delta, reason=reason, note=f"{reason.value} {delta}")
            expected += delta
            assert row.stock_quantity == expected == movements_total(row)
        with pytest.raises(OutOfStock):
            adjust_stock(row, -(expected + 1), reason=StockReason.SALE)
        db.session.commit()
        db.session.expire_all()
        row = db.session.get(Variant, (shop_a.id, small))
        assert row.stock_quantity == movements_total(row) == 29
        assert db.session.scalar(sa.select(sa.func.count(StockMovement.id))) == len(steps)


def test_a_sale_beyond_stock_is_refused_unless_backordered(app_ctx, shop_a):
    _, (plain, _) = make_product(shop_a, "Plain")
    _, (backordered, _) = make_product(shop_a, "Later", allow_backorder=True)
    _, (untracked, _) = make_product(shop_a, "Free", track_stock=False)
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, plain))
        adjust_stock(row, 2, reason=StockReason.RECEIPT)
        with pytest.raises(OutOfStock):
            adjust_stock(row, -3, reason=StockReason.SALE)
        assert row.stock_quantity == movements_total(row) == 2
        adjust_stock(row, -2, reason=StockReason.SALE)
        assert row.stock_quantity == 0 and not row.available

        for variant_id in (backordered, untracked):
            row = db.session.get(Variant, (shop_a.id, variant_id))
            adjust_stock(row, -3, reason=StockReason.SALE)
            assert row.stock_quantity == movements_total(row) == -3
            assert row.available


def movement_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(StockMovement.id)))


def test_stock_errors_are_catalog_errors():
    assert issubclass(OutOfStock, CatalogError) and issubclass(InvalidMovement, CatalogError)
    assert issubclass(CatalogError, ValueError)


def test_an_adjustment_below_zero_is_refused_with_no_movement(app_ctx, shop_a):
    _, (small, _) = make_product(shop_a)
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, small))
        adjust_stock(row, 2, reason=StockReason.RECEIPT)
        with pytest.raises(OutOfStock) as refused:
            adjust_stock(row, -3, reason=StockReason.ADJUSTMENT, note="Count")
        assert str(refused.value) == "Only 2 on hand: an adjustment cannot go below zero."
        assert row.stock_quantity == movements_total(row) == 2
        assert movement_count() == 1
        adjust_stock(row, -2, reason=StockReason.ADJUSTMENT)  # down to zero is fine
        assert row.stock_quantity == movements_total(row) == 0


def test_untracked_or_backordered_variants_may_be_adjusted_below_zero(app_ctx, shop_a):
    _, (backordered, _) = make_product(shop_a, "Later", allow_backorder=True)
    _, (untracked, _) = make_product(shop_a, "Free", track_stock=False)
    with tenant_context(shop_a):
        for variant_id in (backordered, untracked):
            row = db.session.get(Variant, (shop_a.id, variant_id))
            adjust_stock(row, -4, reason=StockReason.ADJUSTMENT)
            assert row.stock_quantity == movements_total(row) == -4


@pytest.mark.parametrize(
    ("delta", "reason", "message"),
    [
        (0, StockReason.RECEIPT, "Enter a quantity other than zero."),
        (0, StockReason.ADJUSTMENT, "Enter a quantity other than zero."),
        (-4, StockReason.RECEIPT, "A receipt adds stock: enter a positive quantity"),
    ],
)
def test_a_movement_of_nothing_or_a_negative_receipt_is_refused(
    app_ctx, shop_a, delta, reason, message
):
    _, (small, _) = make_product(shop_a, allow_backorder=True)  # no stock rule in the way
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, small))
        adjust_stock(row, 5, reason=StockReason.RECEIPT)
        with pytest.raises(InvalidMovement, match=message):
            adjust_stock(row, delta, reason=reason)
        assert row.stock_quantity == movements_total(row) == 5
        assert movement_count() == 1


@pytest.mark.parametrize("allow_backorder", [False, True])
def test_stock_never_passes_what_the_column_holds(app_ctx, shop_a, allow_backorder):
    _, (small, _) = make_product(shop_a, allow_backorder=allow_backorder)
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, small))
        adjust_stock(row, MAX_COUNT, reason=StockReason.RECEIPT)
        with pytest.raises(InvalidMovement, match="1,000,000,001 on hand"):
            adjust_stock(row, 1, reason=StockReason.RECEIPT)  # checked by the update itself
        with pytest.raises(InvalidMovement, match="from -1,000,000,000 to 1,000,000,000"):
            adjust_stock(row, -(2**31), reason=StockReason.ADJUSTMENT)
        assert row.stock_quantity == movements_total(row) == MAX_COUNT
        assert movement_count() == 1


def test_the_rule_below_zero_is_checked_by_the_update_itself(app_ctx, shop_a, app):
    """No read-then-write: the first statement is the guarded UPDATE."""
    _, (small, _) = make_product(shop_a)
    with tenant_context(shop_a):
        row = db.session.get(Variant, (shop_a.id, small))
        adjust_stock(row, 1, reason=StockReason.RECEIPT)
        statements: list[str] = []

        def seen(conn, cursor, statement, *args) -> None:
            statements.append(" ".join(statement.split()))

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            with pytest.raises(OutOfStock):
                adjust_stock(row, -2, reason=StockReason.ADJUSTMENT)
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        writes = [s for s in statements if not s.upper().startswith("SELECT")]
        assert statements[0].startswith("UPDATE variants SET stock_quantity=")
        assert "BETWEEN" in statements[0]  # the guard (0 to the column's bound) is in the update
        assert writes == [statements[0]]  # nothing else written
        assert row.stock_quantity == 1


# ---------------------------------------------------------------- the stock page


def record(client, product_id, variant_id, quantity, kind="receipt", note=""):
    return client.post(
        f"{CATALOG}/products/{product_id}/stock",
        data={"variant_id": str(variant_id), "kind": kind, "quantity": quantity, "note": note},
    )


def test_receipts_and_adjustments_are_recorded_as_movements(client, shop_a, member_of_a, no_csrf):
    product_id, (small, medium) = make_product(shop_a, threshold=3)
    page = client.get(f"{CATALOG}/products/{product_id}/stock")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="quantity"' in html and "stock_quantity" not in html  # never typed over
    assert "No stock movement yet." in html

    assert record(client, product_id, small, "12", note="Delivery 42").status_code == 302
    assert (
        record(client, product_id, small, "-2", kind="adjustment", note="Count").status_code == 302
    )
    assert record(client, product_id, medium, "2").status_code == 302
    row = variant(shop_a, small)
    with tenant_context(shop_a):
        assert row.stock_quantity == movements_total(row) == 10
        movements = db.session.scalars(
            sa.select(StockMovement).order_by(StockMovement.created_at)
        ).all()
    assert [(m.delta, m.reason, m.note) for m in movements] == [
        (12, StockReason.RECEIPT, "Delivery 42"),
        (-2, StockReason.ADJUSTMENT, "Count"),
        (2, StockReason.RECEIPT, ""),
    ]
    assert {m.actor_id for m in movements} == {member_of_a.id}

    html = client.get(f"{CATALOG}/products/{product_id}/stock").get_data(as_text=True)
    assert "Delivery 42" in html and "+12" in html and "-2" in html
    assert "Member A" in html
    assert "Low stock" in html  # M: 2 on hand, threshold 3
    listing = client.get(f"{CATALOG}/").get_data(as_text=True)
    assert "12 on hand" in listing and "Low stock" in listing
    assert "Tee" in client.get(f"{CATALOG}/?stock=low").get_data(as_text=True)
    assert "Tee" not in client.get(f"{CATALOG}/?stock=out").get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "quantity", "message"),
    [
        ("receipt", "0", "other than zero"),
        ("receipt", "-4", "A receipt adds stock"),
        ("adjustment", "-6", "cannot go below zero"),
        ("receipt", "many", "Not a valid integer value"),
        ("sale", "1", "Not a valid choice"),
    ],
)
def test_bad_movements_are_refused(client, shop_a, member_of_a, no_csrf, kind, quantity, message):
    product_id, (small, _) = make_product(shop_a)
    record(client, product_id, small, "5")
    response = record(client, product_id, small, quantity, kind=kind)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    row = variant(shop_a, small)
    with tenant_context(shop_a):
        assert row.stock_quantity == movements_total(row) == 5


def test_the_stock_page_names_variants_by_their_options(client, shop_a, member_of_a):
    product_id, _ = make_product(shop_a)
    html = client.get(f"{CATALOG}/products/{product_id}/stock").get_data(as_text=True)
    assert "TEE-S (Size: S)" in html and "TEE-M (Size: M)" in html
    with tenant_context(shop_a):
        bag = services.create_product(
            services.ProductInput(title="Bag", variants=[services.VariantInput("BAG", 500)])
        )
        db.session.commit()
        bag_id = bag.id
    html = client.get(f"{CATALOG}/products/{bag_id}/stock").get_data(as_text=True)
    assert "BAG (default)" in html
    editor = client.get(f"{CATALOG}/products/{bag_id}").get_data(as_text=True)
    assert "SKU (Default variant)" in editor


def test_a_variant_of_another_product_or_shop_cannot_be_adjusted(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    product_id, _ = make_product(shop_a, "Ours")
    _, (other, _) = make_product(shop_a, "Other")
    _, (theirs, _) = make_product(shop_b, "Theirs")
    for variant_id in (other, theirs):
        assert record(client, product_id, variant_id, "5").status_code == 400
    assert variant(shop_a, other).stock_quantity == 0
    assert variant(shop_b, theirs).stock_quantity == 0
    their_product, (their_variant, _) = make_product(shop_b, "Theirs2")
    assert record(client, their_product, their_variant, "5").status_code == 404


def test_out_of_stock_shows_on_the_list_and_the_history_is_paginated(
    client, shop_a, member_of_a, no_csrf
):
    product_id, (small, medium) = make_product(shop_a)
    listing = client.get(f"{CATALOG}/?stock=out").get_data(as_text=True)
    out_badge = 'text-bg-danger">Out of stock'
    assert out_badge in listing and "Tee" in listing
    for _ in range(30):
        record(client, product_id, small, "1")
    record(client, product_id, medium, "1", note="the medium one")
    listing = client.get(f"{CATALOG}/").get_data(as_text=True)
    assert "31 on hand" in listing and out_badge not in listing

    url = f"{CATALOG}/products/{product_id}/stock"
    first = client.get(url).get_data(as_text=True)
    assert "(31)" in first and "Page 1 of 2" in first
    assert "the medium one" in first  # newest first
    assert "Page 2 of 2" in client.get(f"{url}?page=2").get_data(as_text=True)
    only_medium = client.get(f"{url}?variant={medium}").get_data(as_text=True)
    assert "History of TEE-M" in only_medium and "(1)" in only_medium
