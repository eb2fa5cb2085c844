"""Catalog services: validation by field, variants by option choice, summaries, index, stock."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.catalog import services
from mall.catalog.markdown import render_markdown
from mall.catalog.models import (
    Product,
    ProductStatus,
    StockMovement,
    StockReason,
    Variant,
    option_label,
)
from mall.catalog.services import InvalidProduct, ProductInput, VariantInput
from mall.catalog.stock import OutOfStock, adjust_stock, movements_total
from mall.extensions import db
from mall.money import MoneyError, format_money, parse_money, to_decimal_text
from tenants.context import tenant_context

SIZES = [{"name": "Size", "values": ["S", "M", "L"]}]


def shirt(**overrides) -> ProductInput:
    data = ProductInput(
        title="Rain Shell",
        options=SIZES,
        variants=[
            VariantInput(sku=f"RS-{s}", price=9900 + n * 500, option_values={"Size": s})
            for n, s in enumerate(["S", "M", "L"])
        ],
        description_md="Keeps you **dry**.",
        tags=["rain", " outdoor ", "rain"],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def fields(error: InvalidProduct) -> set[str]:
    return {e.field for e in error.errors}


def test_create_product_with_variants_and_summary(shop_a):
    with tenant_context(shop_a):
        product = services.create_product(shirt())
        assert product.slug == "rain-shell"
        assert [v.option_key for v in product.variants] == ["Size=S", "Size=M", "Size=L"]
        assert (product.price_min, product.price_max) == (9900, 10900)
        assert product.tags == ["outdoor", "rain"]
        assert product.description_html == "<p>Keeps you <strong>dry</strong>.</p>\n"
        assert product.in_stock is False  # tracked stock starts at zero


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"options": [{"name": "Size", "values": ["S", "S"]}]}, "options[0]"),
        ({"variants": []}, "variants"),
        ({"weight_grams": -5}, "weight_grams"),
    ],
)
def test_bad_input_is_reported_by_field(shop_a, change, field):
    with tenant_context(shop_a), pytest.raises(InvalidProduct) as error:
        services.create_product(shirt(**change))
    assert field in fields(error.value)


def test_variant_problems_name_the_variant(shop_a):
    data = shirt()
    data.variants[1].price = -1
    data.variants[2].sku = "RS-S"
    data.variants[0].compare_at_price = 100
    data.variants[0].option_values = {"Size": "XL"}
    with tenant_context(shop_a), pytest.raises(InvalidProduct) as error:
        services.create_product(data)
    assert {
        "variants[1].price",
        "variants[2].sku",
        "variants[0].compare_at_price",
        "variants[0].options",
    } <= fields(error.value)
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_skus_and_slugs_are_unique_per_shop_only(shop_a, shop_b):
    with tenant_context(shop_a):
        services.create_product(shirt())
        with pytest.raises(InvalidProduct) as error:
            services.create_product(shirt(title="Another"))
        assert "variants[0].sku" in fields(error.value)
        with pytest.raises(InvalidProduct) as error:
            services.create_product(shirt(variants=[VariantInput(sku="X-1", price=1)], options=[]))
        assert "slug" in fields(error.value)
    with tenant_context(shop_b):
        assert services.create_product(shirt()).slug == "rain-shell"  # another shop: fine


def test_update_keeps_variants_by_option_choice_and_removes_the_rest(shop_a):
    with tenant_context(shop_a):
        product = services.create_product(shirt())
        medium = next(v for v in product.variants if v.option_key == "Size=M")
        adjust_stock(medium, 5, reason=StockReason.RECEIPT)
        data = shirt(options=[{"name": "Size", "values": ["M", "XL"]}])
        data.variants = [
            VariantInput(sku="RS-M2", price=12000, option_values={"Size": "M"}),
            VariantInput(sku="RS-XL", price=13000, option_values={"Size": "XL"}),
        ]
        services.update_product(product, data)
        by_key = {v.option_key: v for v in product.variants}
        assert set(by_key) == {"Size=M", "Size=XL"}
        assert by_key["Size=M"].id == medium.id and by_key["Size=M"].stock_quantity == 5
        assert by_key["Size=M"].sku == "RS-M2"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) == 2
        assert (product.price_min, product.price_max, product.in_stock) == (12000, 13000, True)


def test_publishing_sets_published_at_once(shop_a):
    with tenant_context(shop_a):
        product = services.create_product(shirt())
        assert services.set_status([product], ProductStatus.PUBLISHED) == 1
        first = product.published_at
        assert services.set_status([product], ProductStatus.PUBLISHED) == 0
        services.set_status([product], ProductStatus.DRAFT)
        services.set_status([product], ProductStatus.PUBLISHED)
        assert product.published_at == first


def test_get_products_ignores_other_shops_ids(shop_a, shop_b):
    with tenant_context(shop_b):
        theirs = services.create_product(shirt()).id
    with tenant_context(shop_a):
        mine = services.create_product(shirt()).id
        assert [p.id for p in services.get_products([mine, theirs, "junk"])] == [mine]
        assert services.get_product(theirs) is None


def test_the_search_index_follows_the_product(shop_a, backend):
    with tenant_context(shop_a):
        product = services.create_product(shirt(description_md="Seam-sealed *waterproof* shell"))
        if backend == "postgresql":
            vector = db.session.scalar(
                sa.select(sa.cast(Product.search_vector, sa.Text)).where(Product.id == product.id)
            )
            assert "'waterproof'" in vector and "'rs-m'" in vector and "'shop'" in vector
        else:
            row = db.session.execute(
                sa.text(
                    "SELECT title, skus, shop, body FROM product_search WHERE product_id = :id"
                ),
                {"id": product.id.hex},
            ).one()
            assert row.title == "Rain Shell" and "RS-M" in row.skus and row.shop == "Shop A"
            assert "waterproof" in row.body and "<em>" not in row.body
            services.delete_product(product)
            assert db.session.execute(sa.text("SELECT count(*) FROM product_search")).scalar() == 0


# ---------------------------------------------------------------- stock


def test_quantity_is_always_the_sum_of_movements(shop_a):
    with tenant_context(shop_a):
        variant = services.create_product(shirt()).variants[0]
        for delta, reason in [(10, "receipt"), (-3, "sale"), (1, "return"), (-2, "adjustment")]:
            adjust_stock(variant, delta, reason=StockReason(reason))
            assert variant.stock_quantity == movements_total(variant)
        assert variant.stock_quantity == 6
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == 4


def test_a_sale_beyond_stock_is_refused_unless_backordered(shop_a):
    with tenant_context(shop_a):
        variant = services.create_product(shirt()).variants[0]
        adjust_stock(variant, 2, reason=StockReason.RECEIPT)
        with pytest.raises(OutOfStock):
            adjust_stock(variant, -3, reason=StockReason.SALE)
        assert variant.stock_quantity == 2 == movements_total(variant)
        variant.allow_backorder = True
        adjust_stock(variant, -3, reason=StockReason.SALE)
        assert variant.stock_quantity == -1 == movements_total(variant)


def test_stock_changes_update_in_stock(shop_a):
    with tenant_context(shop_a):
        product = services.create_product(shirt(options=[], variants=[VariantInput("ONE", 100)]))
        assert product.in_stock is False
        adjust_stock(product.variants[0], 1, reason=StockReason.RECEIPT)
        assert product.in_stock is True
        adjust_stock(product.variants[0], -1, reason=StockReason.SALE)
        assert product.in_stock is False


# ---------------------------------------------------------------- markdown and money


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil.example></iframe>",
        '<p onclick="alert(1)">x</p>',
    ],
)
def test_markdown_lets_no_script_through(attack):
    html = render_markdown(f"Fine **text**\n\n{attack}")
    assert "<strong>text</strong>" in html
    elements = parse_elements(html)
    tags = {tag for tag, _ in elements}
    assert not tags & {"script", "iframe", "img", "object", "embed", "style"}
    for _, attributes in elements:
        assert not [name for name in attributes if name.startswith("on")]
        assert not (attributes.get("href") or "").strip().lower().startswith("javascript:")


def parse_elements(html: str) -> list[tuple[str, dict]]:
    """Every element the browser would build: (tag, attributes)."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def test_markdown_links_are_nofollow():
    assert 'rel="nofollow noopener noreferrer ugc"' in render_markdown("[a](https://a.example)")


def test_money_formatting_and_parsing(app_ctx):
    assert format_money(1250) == "$12.50"
    assert format_money(0) == "$0.00"
    assert to_decimal_text(1250) == "12.50"
    assert parse_money("12.5") == 1250 and parse_money("$1,200.00") == 120000
    assert format_money(1250, code="JPY") == "¥1,250"
    for bad in ("abc", "-1", "1.234", "1e400", "NaN"):
        with pytest.raises(MoneyError):
            parse_money(bad)


def test_renaming_a_shop_reindexes_its_products(shop_a, backend):
    from mall.shops.services import update_settings

    with tenant_context(shop_a):
        product = services.create_product(shirt())
        db.session.commit()
        update_settings(
            shop_a, name="Harbour Outfitters", description="", policies="", contact_email=None
        )
        db.session.commit()  # the reindex job runs (inline in tests) after the commit
        if backend == "postgresql":
            vector = db.session.scalar(
                sa.select(sa.cast(Product.search_vector, sa.Text)).where(Product.id == product.id)
            )
            assert "'harbour'" in vector and "'shop'" not in vector
        else:
            shop_text = db.session.execute(
                sa.text("SELECT shop FROM product_search WHERE product_id = :id"),
                {"id": product.id.hex},
            ).scalar_one()
            assert shop_text == "Harbour Outfitters"


def test_a_sku_can_move_to_a_new_option_choice_and_skus_can_swap(shop_a):
    with tenant_context(shop_a):
        product = services.create_product(shirt())
        moved = shirt(options=[{"name": "Size", "values": ["S", "M", "XL"]}])
        moved.variants[2] = VariantInput(sku="RS-L", price=1, option_values={"Size": "XL"})
        services.update_product(product, moved)
        assert {v.option_key: v.sku for v in product.variants}["Size=XL"] == "RS-L"
        swapped = shirt()
        swapped.variants[0].sku, swapped.variants[1].sku = "RS-M", "RS-S"
        services.update_product(product, swapped)
        skus = {v.option_key: v.sku for v in product.variants}
        assert (skus["Size=S"], skus["Size=M"]) == ("RS-M", "RS-S")


def test_renaming_a_category_reindexes_its_products_in_every_shop(
    shop_a, shop_b, operator, backend
):
    from mall.catalog.categories import create_category, update_category

    category, _ = create_category(name="Outerwear", slug="outerwear", actor_id=operator.id)
    ids = {}
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            ids[shop.slug] = services.create_product(shirt(category_id=category.id)).id
    db.session.commit()
    update_category(
        category, name="Rainwear", slug="outerwear", parent_id=None, actor_id=operator.id
    )
    db.session.commit()  # the reindex job runs (inline in tests) after the commit
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            if backend == "postgresql":
                text = db.session.scalar(
                    sa.select(sa.cast(Product.search_vector, sa.Text)).where(
                        Product.id == ids[shop.slug]
                    )
                )
                assert "'rainwear'" in text and "'outerwear'" not in text
            else:
                text = db.session.execute(
                    sa.text("SELECT category FROM product_search WHERE product_id = :id"),
                    {"id": ids[shop.slug].hex},
                ).scalar_one()
                assert text == "Rainwear"


def test_the_option_label_follows_the_product_option_order():
    product = SimpleNamespace(
        options=[{"name": "Size", "values": ["M"]}, {"name": "Colour", "values": ["Red"]}]
    )
    variant = SimpleNamespace(option_values={"Colour": "Red", "Size": "M"})
    assert option_label(variant, product) == "Size: M, Colour: Red"
    assert option_label(variant) == "Colour: Red, Size: M"  # without a product: as stored
    assert option_label(SimpleNamespace(option_values={}), product) == ""
