"""Every number a person types is bounded by what its column holds: a clear 4xx, never a 500.

Issue 8, item 7. Each entry point is tried with 2**31 (one past a 32-bit column) and
10**20 (past a 64-bit one), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from mall.catalog import services
from mall.catalog.errors import InvalidProduct
from mall.catalog.models import Product
from mall.extensions import db
from mall.ledger.commission import shop_rate
from mall.numbers import INT32_MAX, MAX_COUNT, NumberError, parse_whole
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tests.mall.test_catalog_admin import CATALOG, form_data, products_of
from tests.mall.test_catalog_stock import make_product as make_sized_product
from tests.mall.test_catalog_stock import record, variant
from tests.mall.test_storefront import make_category, make_product

BIG = ["2147483648", "100000000000000000000"]  # 2**31 and 10**20
WHOLE = "Enter a whole number from 0 to 1,000,000,000."
SIGNED = "Enter a whole number from -1,000,000,000 to 1,000,000,000."
TOO_MUCH = "Enter an amount of at most $10,000,000,000.00."  # see test_money


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


# ---------------------------------------------------------------- the bounds themselves


def test_the_whole_number_bound_fits_a_32_bit_column_with_room_for_one_addition():
    assert 2 * MAX_COUNT <= INT32_MAX
    assert parse_whole(" 42 ") == 42 and parse_whole("-7", minimum=-10) == -7
    for bad in ("1.5", "1e3", "²", "١٢", "0x10", "", "+", "1_000"):
        with pytest.raises(NumberError, match="Enter a whole number"):
            parse_whole(bad)
    for big in [*BIG, "1" * 5000, "1000000001"]:
        with pytest.raises(NumberError) as refused:
            parse_whole(big)
        assert str(refused.value) == WHOLE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight_grams": 2**31}, "weight_grams"),
        ({"weight_grams": 10**20}, "weight_grams"),
        ({"price": 10**20}, "variants[0].price"),
        ({"compare_at_price": 2**63}, "variants[0].compare_at_price"),
        ({"low_stock_threshold": 2**31}, "variants[0].low_stock_threshold"),
    ],
)
def test_the_catalog_services_refuse_numbers_their_columns_cannot_hold(
    app_ctx, shop_a, changes, field
):
    variant_fields = {"price": 100} | {k: v for k, v in changes.items() if k != "weight_grams"}
    data = services.ProductInput(
        title="Crate",
        weight_grams=changes.get("weight_grams"),
        variants=[services.VariantInput(sku="CRATE", **variant_fields)],
    )
    with tenant_context(shop_a), pytest.raises(InvalidProduct) as refused:
        services.create_product(data)
    assert field in {e.field for e in refused.value.errors}


# ---------------------------------------------------------------- the product editor


@pytest.mark.parametrize("typed", BIG)
def test_the_editor_refuses_a_weight_past_its_column(client, shop_a, member_of_a, no_csrf, typed):
    rows = ({"sku": "CRATE", "price": "9.00"},)
    data = form_data("Crate", (), rows, weight_grams=typed)
    response = client.post(f"{CATALOG}/products/new", data=data)
    assert response.status_code == 400
    assert WHOLE in text(response)
    assert products_of(shop_a) == []


@pytest.mark.parametrize("typed", BIG)
def test_the_editor_refuses_a_threshold_past_its_column(
    client, shop_a, member_of_a, no_csrf, typed
):
    rows = ({"sku": "CRATE", "price": "9.00", "low_stock_threshold": typed},)
    response = client.post(f"{CATALOG}/products/new", data=form_data("Crate", (), rows))
    assert response.status_code == 400
    assert WHOLE in text(response)
    assert products_of(shop_a) == []


@pytest.mark.parametrize("field", ["price", "compare_at_price"])
def test_the_editor_refuses_an_amount_past_the_maximum(client, shop_a, member_of_a, no_csrf, field):
    row = {"sku": "CRATE", "price": "9.00", field: "100000000000000000000"}
    response = client.post(f"{CATALOG}/products/new", data=form_data("Crate", (), (row,)))
    assert response.status_code == 400
    assert TOO_MUCH in text(response)
    assert products_of(shop_a) == []


def test_the_editor_saves_a_price_past_32_bits(client, shop_a, member_of_a, no_csrf):
    row = {"sku": "VILLA", "price": "2147483648", "compare_at_price": "2147483649.99"}
    response = client.post(f"{CATALOG}/products/new", data=form_data("Villa", (), (row,)))
    assert response.status_code == 302
    (product,) = products_of(shop_a)
    with tenant_context(shop_a):
        (saved,) = db.session.get(Product, (shop_a.id, product.id)).variants
        assert (saved.price, saved.compare_at_price) == (214_748_364_800, 214_748_364_999)
    page = text(client.get(response.headers["Location"]))
    assert 'value="2147483648.00"' in page


# ---------------------------------------------------------------- the stock page


@pytest.mark.parametrize("typed", [*BIG, "-2147483649", "-100000000000000000000"])
def test_the_stock_page_refuses_a_quantity_past_its_column(
    client, shop_a, member_of_a, no_csrf, typed
):
    product_id, (small, _) = make_sized_product(shop_a, allow_backorder=True)
    kind = "adjustment" if typed.startswith("-") else "receipt"
    response = record(client, product_id, small, typed, kind=kind)
    assert response.status_code == 400
    assert SIGNED in text(response)
    assert variant(shop_a, small).stock_quantity == 0


def test_the_stock_on_hand_stays_within_its_bound(client, shop_a, member_of_a, no_csrf):
    product_id, (small, _) = make_sized_product(shop_a)
    assert record(client, product_id, small, str(MAX_COUNT)).status_code == 302
    response = record(client, product_id, small, "1")
    assert response.status_code == 400
    assert "at most 1,000,000,000 on hand" in text(response)
    assert variant(shop_a, small).stock_quantity == MAX_COUNT


# ---------------------------------------------------------------- the cart


@pytest.mark.parametrize("typed", [*BIG, "²", "٣"])
def test_the_cart_refuses_a_quantity_past_its_bound(client, shop_a, no_csrf, typed):
    made = make_product(shop_a, "Mug")
    line = {"variant_id": str(made.variant_ids[0])}
    response = client.post("/cart/add", data={**line, "quantity": typed})
    assert response.status_code == 303
    client.post("/cart/add", data={**line, "quantity": "2"})
    response = client.post("/cart/update", data={**line, "quantity": typed})
    assert response.status_code == 303
    page = text(client.get("/cart/"))
    assert "Choose a quantity from 0 to 99." in page
    assert 'value="2"' in page  # the line kept its quantity


# ---------------------------------------------------------------- query strings


@pytest.mark.parametrize("typed", [*BIG, "-2147483649", "²", "1" * 5000])
def test_page_numbers_past_any_bound_are_page_one(
    client, shop_a, member_of_a, operator, sign_in, typed
):
    make_product(shop_a, "Lamp")
    for url in ("/", "/search?q=lamp", f"{CATALOG}/", "/shop/shop-a/admin/staff"):
        response = client.get(url + ("&" if "?" in url else "?") + f"page={typed}")
        assert response.status_code == 200, url
    sign_in(operator)
    for url in ("/admin/shops", "/admin/audit"):
        assert client.get(f"{url}?page={typed}").status_code == 200, url


@pytest.mark.parametrize("typed", BIG)
def test_sitemap_numbers_past_any_file_are_not_found(client, shop_a, typed):
    assert client.get(f"/sitemap-{typed}.xml").status_code == 404


@pytest.mark.parametrize("typed", [*BIG, "1e20", "-2147483648"])
def test_search_price_filters_past_any_bound_give_a_normal_page(client, shop_a, typed):
    make_product(shop_a, "Lamp", price=1000, category=make_category("Lamps"))
    for url in ("/search?q=lamp&", "/search?", "/categories/lamps?"):
        response = client.get(f"{url}price_min={typed}&price_max={typed}")
        assert response.status_code == 200, url


def test_a_price_filter_past_32_bits_still_filters(client, shop_a):
    make_product(shop_a, "Lamp", price=1000)
    assert "Lamp" in text(client.get("/search?q=lamp&price_max=2147483648"))
    assert "Lamp" not in text(client.get("/search?q=lamp&price_min=2147483648"))


# ---------------------------------------------------------------- the operator's console


@pytest.fixture
def as_operator(client, operator, sign_in, no_csrf):
    sign_in(operator)
    return client


@pytest.mark.parametrize("typed", BIG)
def test_the_commission_refuses_a_rate_past_100_percent(as_operator, make_shop, typed):
    shop = make_shop(status=TenantStatus.ACTIVE)
    response = as_operator.post(f"/admin/shops/{shop.id}/commission", data={"percent": typed})
    assert response.status_code == 400
    assert "between 0 and 100 percent" in text(response)
    assert shop_rate(shop.id) == (1000, "mall default")


@pytest.mark.parametrize("typed", BIG)
def test_the_grace_period_refuses_days_past_its_bound(as_operator, typed):
    response = as_operator.post("/admin/settings", data={"shred_grace_days": typed})
    assert response.status_code == 400
    assert "Enter a number of days from 1 to" in text(response)
