"""The demo catalog: categories, products with variants, stock, pictures and files; idempotent."""

from __future__ import annotations

import hashlib
import io
import json
from importlib.resources import files

import pytest
import sqlalchemy as sa
from PIL import Image

from mall.catalog.models import (
    Category,
    DigitalFile,
    Product,
    ProductImage,
    ProductKind,
    ProductStatus,
    StockMovement,
    Variant,
)
from mall.catalog.services import slugify
from mall.catalog.stock import movements_total
from mall.demo.catalog import (
    CATEGORY_TREE,
    DATA_FILE,
    DEMO_CATALOG,
    PRODUCT_FIELDS,
    _product_input,
    initials,
)
from mall.demo.people import DEMO_SHOPS, seed_demo
from mall.extensions import db
from mall.storage import storage
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant, TenantStatus

TABLES = (Category, Product, Variant, ProductImage, DigitalFile, StockMovement)


def counts() -> dict[str, int]:
    with all_tenants("test: count the demo catalog"):
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in TABLES
        }


@pytest.fixture
def seeded(app_ctx):
    # How long seeding takes is measured by `make run`'s users, not asserted here (rule 9).
    report = seed_demo()
    db.session.commit()
    return report


def test_seeding_twice_creates_nothing_the_second_time(seeded):
    report = seeded
    first = counts()
    assert any("Demo catalog ready" in line for line in report)
    again = seed_demo()
    db.session.commit()
    assert counts() == first
    assert any("0 categories and 0 products created" in line for line in again)


def test_active_shops_have_published_products_with_images_and_variants(seeded):
    shops = list(db.session.scalars(sa.select(Tenant).where(Tenant.slug.in_(DEMO_CATALOG))))
    active = [s for s in shops if s.status is TenantStatus.ACTIVE]
    assert len(active) >= 5
    for shop in active:
        with tenant_context(shop):
            products = list(
                db.session.scalars(
                    sa.select(Product).where(Product.status == ProductStatus.PUBLISHED)
                )
            )
            assert len(products) >= 6, shop.slug
            for product in products:
                assert product.variants, product.title
                assert 1 <= len(product.images) <= 3, product.title
                assert product.category_id is not None
                assert product.description_html and product.tags
                assert product.published_at is not None
                assert product.price_min <= product.price_max
                for image in product.images:
                    assert image.storage_key.startswith(f"products/{shop.id}/")
                    assert image.thumbnail_key and image.thumbnail_key.endswith(".webp")
                    assert (image.width, image.height) == (800, 800)
                    assert image.alt_text
                for variant in product.variants:
                    assert variant.stock_quantity == movements_total(variant)


def test_there_is_variety_to_show(seeded):
    with all_tenants("test: look over the demo catalog"):
        variants = list(db.session.scalars(sa.select(Variant).where(Variant.track_stock)))
        products = list(db.session.scalars(sa.select(Product)))
    assert any(v.stock_quantity == 0 for v in variants)  # out of stock
    assert any(v.low_on_stock for v in variants)
    assert any(p.compare_at_max for p in products)
    assert sum(1 for p in products if p.sales_count > 0) >= 10
    assert any(not p.in_stock for p in products)
    assert any(len(p.options) == 2 for p in products)
    assert {c.slug for c in db.session.scalars(sa.select(Category))} >= {
        "home-garden",
        "seeds",
        "poetry",
        "coffee",
        "outerwear",
        "fonts",
        "kits",
    }
    shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "green-thumb"))
    with tenant_context(shop):
        image = db.session.scalars(sa.select(ProductImage).limit(1)).one()
    picture = Image.open(io.BytesIO(storage().open(image.storage_key)))
    assert picture.format == "PNG" and picture.size == (800, 800)


def test_pixel_forge_sells_digital_files(seeded):
    shop = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "pixel-forge"))
    with tenant_context(shop):
        products = list(db.session.scalars(sa.select(Product)))
        assert products and all(p.kind is ProductKind.DIGITAL for p in products)
        for product in products:
            assert product.in_stock and product.weight_grams is None
            for variant in product.variants:
                assert not variant.track_stock
                (file,) = variant.files
                data = storage().open(file.storage_key)
                assert file.storage_key.startswith(f"digital/{shop.id}/")
                assert file.size_bytes == len(data)
                assert file.sha256 == hashlib.sha256(data).hexdigest()


def test_initials():
    assert initials("The Orchard at Dusk") == "OD"
    assert initials("Heirloom Tomato Seed Collection") == "HT"
    assert initials("Haiku") == "H"


def test_catalog_json_is_fit_for_the_seeder():
    data = json.loads((files("mall.demo") / DATA_FILE).read_text(encoding="utf-8"))
    assert set(data) == {"categories", "shops"}
    assert set(data["shops"]) == set(DEMO_CATALOG)
    category_slugs = [
        s for _, parent, children in CATEGORY_TREE for s in (parent, *(c for _, c in children))
    ]
    assert len(category_slugs) == len(set(category_slugs))
    active = {slug for slug, _, _, status in DEMO_SHOPS if status is TenantStatus.ACTIVE}
    ids = dict.fromkeys(category_slugs, "category id")
    for shop, (specs, digital, hue) in DEMO_CATALOG.items():
        assert shop in active, shop
        assert isinstance(digital, bool) and 0 <= hue <= 1
        assert [p["title"] for p in data["shops"][shop]["products"]] == [s["title"] for s in specs]
        skus: list[str] = []
        for spec in specs:
            assert set(spec) == set(PRODUCT_FIELDS), spec["title"]
            assert spec["category"] in ids, spec["title"]
            assert spec["price"] > 0 and spec["description"].endswith("\n") and spec["tags"]
            assert 1 <= spec["images"] <= 3, spec["title"]
            values = {v for _, option_values in spec["options"] for v in option_values}
            assert set(spec["surcharge"]) <= values, spec["title"]
            assert set(spec["stock"]) <= values | {"*"}, spec["title"]
            skus += [v.sku for v in _product_input(spec, "slug", digital, ids).variants]
        assert len(skus) == len(set(skus)), shop
        slugs = [slugify(spec["title"]) for spec in specs]  # the seeder skips a slug it has
        assert len(slugs) == len(set(slugs)), shop
