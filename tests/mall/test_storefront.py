"""Shop storefronts: the shop page and product pages (gallery, variants, stock, cart form)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from mall.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    StockReason,
    Variant,
)
from mall.catalog.services import ProductInput, VariantInput, create_product, slugify
from mall.catalog.stock import adjust_stock
from mall.db import utcnow
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import set_status

# ---------------------------------------------------------------- helpers (shared by tests/mall)


@dataclass(frozen=True)
class Made:
    """What a test needs to know of a product it made (ids, not ORM rows: contexts end)."""

    id: UUID
    tenant_id: UUID
    slug: str
    title: str
    variant_ids: list[UUID]
    skus: list[str]


def make_category(name: str, *, parent: Category | None = None, slug: str | None = None):
    category = Category(
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        parent_id=parent.id if parent else None,
    )
    db.session.add(category)
    db.session.commit()
    return category


def make_product(
    shop,
    title: str = "Thing",
    *,
    variants: int = 1,
    price: int = 1000,
    prices: list[int] | None = None,
    compare_at: int | None = None,
    status: ProductStatus = ProductStatus.PUBLISHED,
    description: str = "",
    category: Category | None = None,
    tags: list[str] | None = None,
    sku: str | None = None,
    stock: int | None = 5,
    track_stock: bool = True,
    backorder: bool = False,
    low_threshold: int = 0,
    images: int = 0,
    sales: int = 0,
    slug: str | None = None,
    published_at=None,
) -> Made:
    """A product of ``shop`` made through the catalog services (and stocked, pictured, sold)."""
    token = uuid4().hex[:8]
    options = []
    if variants > 1:
        options = [{"name": "Size", "values": [f"S{n}" for n in range(variants)]}]
    prices = prices or [price + n * 100 for n in range(variants)]
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=title,
                slug=slug or f"{slugify(title)}-{token}",
                status=status,
                description_md=description,
                category_id=category.id if category else None,
                tags=tags or [],
                options=options,
                variants=[
                    VariantInput(
                        sku=(sku if n == 0 and sku else f"SKU-{token}-{n}"),
                        price=prices[n],
                        compare_at_price=compare_at,
                        option_values={"Size": f"S{n}"} if options else {},
                        track_stock=track_stock,
                        allow_backorder=backorder,
                        low_stock_threshold=low_threshold,
                    )
                    for n in range(variants)
                ],
            )
        )
        if stock and track_stock:
            for variant in product.variants:
                adjust_stock(variant, stock, reason=StockReason.RECEIPT)
        for n in range(images):
            db.session.add(
                ProductImage(
                    product_id=product.id,
                    storage_key=f"images/{product.tenant_id.hex}/{token}-{n}.png",
                    thumbnail_key=f"images/{product.tenant_id.hex}/{token}-{n}-thumb.png",
                    content_type="image/png",
                    width=800,
                    height=600,
                    alt_text=f"{title} picture {n}",
                    position=n,
                )
            )
        if sales:
            product.sales_count = sales
        if published_at is not None:
            product.published_at = published_at
        db.session.flush()
        made = Made(
            id=product.id,
            tenant_id=product.tenant_id,
            slug=product.slug,
            title=product.title,
            variant_ids=[v.id for v in product.variants],
            skus=[v.sku for v in product.variants],
        )
        db.session.commit()
    return made


def body(response) -> str:
    return response.get_data(as_text=True)


def queries_for(client, count_queries, url: str, status: int = 200) -> int:
    with count_queries() as counter:
        response = client.get(url)
        assert response.status_code == status, url
    return counter.count


# ---------------------------------------------------------------- shop page


def test_shop_page_lists_published_products_only(client, shop_a, shop_b):
    make_product(shop_a, "Garden Trowel")
    make_product(shop_a, "Secret Draft", status=ProductStatus.DRAFT)
    make_product(shop_b, "Other Shop Kettle")
    page = body(client.get("/shop/shop-a/"))
    assert "Garden Trowel" in page
    assert "Secret Draft" not in page
    assert "Other Shop Kettle" not in page


def test_shop_page_shows_logo_description_and_policies(client, make_shop):
    make_shop(
        "leafy",
        name="Leafy",
        description="Plants and pots.",
    )
    from tenants.models import Tenant

    shop = db.session.query(Tenant).filter_by(slug="leafy").one()
    shop.logo_path = "logos/leafy.png"
    shop.policies = "Returns within 30 days.\nShipping in 2 days."
    db.session.commit()
    page = body(client.get("/shop/leafy/"))
    assert 'src="/media/logos/leafy.png"' in page and 'alt="Logo of Leafy"' in page
    assert "Plants and pots." in page
    assert 'href="#policies"' in page and "Returns within 30 days." in page


def test_shop_page_sorts_and_paginates(client, shop_a):
    for n in range(26):
        make_product(shop_a, f"Item {n:02d}", price=100 * (n + 1))
    cheapest_first = body(client.get("/shop/shop-a/?sort=price_asc"))
    assert cheapest_first.index("Item 00") < cheapest_first.index("Item 01")
    dearest_first = body(client.get("/shop/shop-a/?sort=price_desc"))
    assert "Item 25" in dearest_first and "Item 00" not in dearest_first
    assert "Page 1 of 2" in dearest_first
    second = body(client.get("/shop/shop-a/?sort=price_desc&page=2"))
    assert "Item 00" in second and "Item 25" not in second
    assert 'href="/shop/shop-a/?page=1&amp;sort=price_desc"' in second


def test_shop_page_query_count_is_flat(client, shop_a, count_queries):
    make_product(shop_a, "First", images=1)
    few = queries_for(client, count_queries, "/shop/shop-a/")
    for n in range(12):
        make_product(shop_a, f"More {n}", images=3)
    many = queries_for(client, count_queries, "/shop/shop-a/")
    assert few == many <= 4


@pytest.mark.parametrize("status", [TenantStatus.PENDING, TenantStatus.CLOSED])
def test_products_of_pending_or_closed_shops_are_404(client, make_shop, status):
    shop = make_shop("hidden-shop")
    made = make_product(shop, "Hidden Lamp")
    set_status(shop, status)
    db.session.commit()
    assert client.get("/shop/hidden-shop/").status_code == 404
    assert client.get(f"/shop/hidden-shop/products/{made.slug}").status_code == 404


def test_products_of_a_suspended_shop_are_temporarily_closed(client, make_shop):
    shop = make_shop("paused", name="Paused Shop")
    made = make_product(shop, "Paused Lamp")
    set_status(shop, TenantStatus.SUSPENDED)
    db.session.commit()
    response = client.get(f"/shop/paused/products/{made.slug}")
    assert response.status_code == 503
    assert "Paused Lamp" not in body(response)


# ---------------------------------------------------------------- product page


def test_product_page(client, shop_a):
    made = make_product(
        shop_a,
        "Rain Shell",
        variants=3,
        prices=[9900, 9900, 10900],
        compare_at=12900,
        description="Keeps you **dry**.",
        images=2,
    )
    response = client.get(f"/shop/shop-a/products/{made.slug}")
    assert response.status_code == 200
    page = body(response)
    assert "<h1" in page and "Rain Shell" in page
    assert "$99.00" in page and "$129.00" in page  # price and compare-at
    assert "<strong>dry</strong>" in page
    assert 'href="/shop/shop-a/"' in page and "Shop A" in page
    # Gallery: every image with its alt text.
    assert page.count('alt="Rain Shell picture') == 2
    # Variant picker: a labelled select of every variant, inside a POST form to the cart.
    form = re.search(r'<form method="post" action="/cart/add".*?</form>', page, re.S).group(0)
    assert '<label class="form-label" for="variant-select">Size</label>' in form
    assert form.count("<option value=") == 3
    assert "S2 — $109.00" in form
    assert 'name="quantity"' in form and 'name="csrf_token"' in form and 'name="nonce"' in form
    assert "In stock" in page


def test_product_without_options_posts_its_only_variant(client, shop_a):
    made = make_product(shop_a, "Plain Mug")
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    assert f'<input type="hidden" name="variant_id" value="{made.variant_ids[0]}">' in page
    assert "<select" not in page.split('action="/cart/add"', 1)[1].split("</form>", 1)[0]


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [
        ({"stock": 10}, "In stock"),
        ({"stock": 2, "low_threshold": 3}, "Only 2 left"),
        ({"stock": None}, "Out of stock"),
        ({"stock": None, "backorder": True}, "Available on backorder"),
        ({"stock": None, "track_stock": False}, "In stock"),
    ],
)
def test_stock_state(client, shop_a, kwargs, label):
    made = make_product(shop_a, "Stocked", **kwargs)
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    assert f'id="stock-state">{label}</p>' in page
    if label == "Out of stock":
        assert '<button class="btn btn-secondary" type="submit" disabled>Out of stock' in page


def test_out_of_stock_variants_cannot_be_chosen(client, shop_a):
    made = make_product(shop_a, "Boots", variants=2, stock=None, backorder=False)
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    assert len(re.findall(r"<option [^>]*\bdisabled\b", page)) == 2  # both options
    assert '<button class="btn btn-secondary" type="submit" disabled>Out of stock' in page
    assert "(out of stock)" in page


def test_variant_in_query_string_is_preselected(client, shop_a):
    made = make_product(shop_a, "Hat", variants=3)
    wanted = made.variant_ids[2]
    page = body(client.get(f"/shop/shop-a/products/{made.slug}?variant={wanted}"))
    assert re.search(rf'<option value="{wanted}" selected', page)
    assert made.skus[2] in page


def test_a_variants_url_renders_that_variant(client, shop_a):
    made = make_product(shop_a, "Lamp", variants=2, prices=[4500, 4900], compare_at=5900, stock=3)
    with tenant_context(shop_a):
        second = db.session.get(Variant, (made.tenant_id, made.variant_ids[1]))
        adjust_stock(second, -1, reason=StockReason.ADJUSTMENT)  # 2 left
        second.low_stock_threshold = 2
        db.session.commit()
    url = f"/shop/shop-a/products/{made.slug}"
    page = body(client.get(f"{url}?variant={made.variant_ids[1]}"))
    assert '<span class="product-price" id="product-price">$49.00</span>' in page
    assert re.search(r'id="product-compare-at">.*?\$59\.00', page)
    assert 'id="stock-state">Only 2 left</p>' in page
    assert f'id="product-sku">{made.skus[1]}</span>' in page
    assert f'<link rel="canonical" href="http://mall.test{url}">' in page  # never ?variant=


@pytest.mark.parametrize("wanted", ["junk", "", "0" * 5000, "theirs", "sibling", "%00"])
def test_a_variant_that_is_not_this_products_shows_the_default(client, shop_a, shop_b, wanted):
    made = make_product(shop_a, "Lamp", variants=2)
    sibling = make_product(shop_a, "Other Lamp")
    theirs = make_product(shop_b, "Their Lamp", sku="THEIRS-1")
    wanted = {"theirs": theirs.variant_ids[0], "sibling": sibling.variant_ids[0]}.get(
        wanted, wanted
    )
    response = client.get(f"/shop/shop-a/products/{made.slug}?variant={wanted}")
    assert response.status_code in (200, 400)  # a NUL byte is refused before any page
    if response.status_code == 200:
        page = body(response)
        assert f'id="product-sku">{made.skus[0]}</span>' in page
        assert "THEIRS-1" not in page and sibling.skus[0] not in page


def test_the_picker_carries_each_variants_facts_for_the_page(client, shop_a):
    made = make_product(shop_a, "Lamp", variants=2, prices=[4500, 4900], compare_at=5900)
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    option = re.search(rf'<option value="{made.variant_ids[1]}"[^>]*>', page).group(0)
    assert f'data-sku="{made.skus[1]}"' in option and 'data-price="$49.00"' in option
    assert 'data-compare-at="$59.00"' in option
    assert 'data-stock="in_stock"' in option and 'data-stock-label="In stock"' in option
    assert re.search(r'<script src="/static/v/[0-9a-f]{12}/js/variant-picker.js" defer>', page)


def test_draft_product_is_404(client, shop_a):
    made = make_product(shop_a, "Not Yet", status=ProductStatus.DRAFT)
    assert client.get(f"/shop/shop-a/products/{made.slug}").status_code == 404


def test_unknown_product_and_another_shops_product_are_404(client, shop_a, shop_b):
    other = make_product(shop_b, "Theirs")
    assert client.get("/shop/shop-a/products/no-such-thing").status_code == 404
    assert client.get(f"/shop/shop-a/products/{other.slug}").status_code == 404
    assert client.get(f"/shop/shop-b/products/{other.slug}").status_code == 200


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_description_is_rendered_without_script(client, shop_a, markdown):
    made = make_product(shop_a, "Tricky", description=f"**Bold** text\n\n{markdown}")
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    description = page.split('id="description-heading"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Bold</strong>" in description
    assert "<script" not in description.lower()
    assert "<img" not in description.lower()  # typed HTML comes out as text
    assert not re.search(r"<[^>]*\bon[a-z]+\s*=", description, re.I)  # no event handler
    assert not re.search(r"<a[^>]*href=\"\s*javascript:", description, re.I)
    # The only <script> element on the page is the JSON-LD data block.
    assert re.findall(r"<script(?![^>]*application/ld\+json)(?![^>]*\bsrc=)", page) == []


def test_title_and_shop_name_are_escaped(client, make_shop):
    shop = make_shop("escapes", name="<b>Shop</b>")
    made = make_product(shop, "<i>Lamp</i>", slug="lamp")
    page = body(client.get(f"/shop/escapes/products/{made.slug}"))
    assert "<i>Lamp</i>" not in page and "&lt;i&gt;Lamp&lt;/i&gt;" in page
    assert "<b>Shop</b>" not in page


@pytest.mark.parametrize(("variants", "images"), [(1, 0), (1, 1), (30, 10)])
def test_product_page_takes_at_most_five_queries(client, shop_a, count_queries, variants, images):
    category = make_category(f"Cat {variants}-{images}")
    made = make_product(shop_a, "Counted", variants=variants, images=images, category=category)
    # Shop, product, variants, images and the return policy (``mall.returns``, one query).
    assert queries_for(client, count_queries, f"/shop/shop-a/products/{made.slug}") <= 5


def test_product_page_on_the_shops_own_host(client, shop_a):
    made = make_product(shop_a, "Hosted")
    response = client.get(f"/products/{made.slug}", headers={"Host": "shop-a.mall.test"})
    assert response.status_code == 200
    # The canonical link points at the mall's path form whatever host served the page.
    assert (
        f'<link rel="canonical" href="http://mall.test/shop/shop-a/products/{made.slug}">'
        in body(response)
    )


def test_products_are_listed_newest_first_by_default(client, shop_a):
    from datetime import timedelta

    make_product(shop_a, "Older", published_at=utcnow() - timedelta(days=3))
    make_product(shop_a, "Newer", published_at=utcnow() - timedelta(days=1))
    page = body(client.get("/shop/shop-a/"))
    assert page.index("Newer") < page.index("Older")


def test_helpers_build_real_rows(app_ctx, shop_a):
    made = make_product(shop_a, "Check", variants=2, images=1, sales=3)
    with tenant_context(shop_a):
        product = db.session.get(Product, (shop_a.id, made.id))
        assert product.sales_count == 3 and product.in_stock
        assert {v.id for v in db.session.query(Variant)} >= set(made.variant_ids)
