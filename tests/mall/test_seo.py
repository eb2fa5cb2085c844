"""What search engines and link previews read: canonical links, Open Graph, JSON-LD, sitemap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from mall.catalog import views as catalog_views
from tenants.models import TenantStatus
from tests.mall.test_storefront import body, make_category, make_product

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def meta(page: str, prop: str) -> str | None:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', page)
    return match.group(1) if match else None


def json_ld(page: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.fixture
def shell(shop_a):
    return make_product(
        shop_a,
        "Rain Shell",
        variants=2,
        prices=[1250, 1500],
        description="Keeps you **dry** & warm.",
        images=2,
        category=make_category("Jackets"),
    )


def test_product_page_canonical_and_open_graph(client, shell):
    page = body(client.get(f"/shop/shop-a/products/{shell.slug}"))
    url = f"http://mall.test/shop/shop-a/products/{shell.slug}"
    assert f'<link rel="canonical" href="{url}">' in page
    assert meta(page, "og:title") == "Rain Shell"
    assert meta(page, "og:type") == "product"
    assert meta(page, "og:url") == url
    assert meta(page, "og:description") == "Keeps you dry &amp; warm."
    image = meta(page, "og:image")
    assert image.startswith("http://mall.test/shop/shop-a/media/images/")
    assert image.endswith("-0.png")  # the first picture, full size


def test_product_json_ld(client, shell):
    data = json_ld(body(client.get(f"/shop/shop-a/products/{shell.slug}")))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == "Rain Shell"
    assert data["sku"] == shell.skus[0]
    assert data["description"] == "Keeps you dry & warm."
    assert data["brand"] == {"@type": "Brand", "name": "Shop A"}
    assert data["category"] == "Jackets"
    assert len(data["image"]) == 2 and all(i.startswith("http://mall.test/") for i in data["image"])
    offer = data["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "12.50"
    assert offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"] == f"http://mall.test/shop/shop-a/products/{shell.slug}"


def test_json_ld_follows_the_chosen_variant(client, shell):
    url = f"/shop/shop-a/products/{shell.slug}?variant={shell.variant_ids[1]}"
    data = json_ld(body(client.get(url)))
    assert data["sku"] == shell.skus[1] and data["offers"]["price"] == "15.00"


@pytest.mark.parametrize(
    ("kwargs", "availability"),
    [
        ({"stock": None}, "OutOfStock"),
        ({"stock": None, "backorder": True}, "BackOrder"),
        ({"stock": 1, "low_threshold": 2}, "LimitedAvailability"),
    ],
)
def test_json_ld_availability(client, shop_a, kwargs, availability):
    made = make_product(shop_a, "Stocked", **kwargs)
    data = json_ld(body(client.get(f"/shop/shop-a/products/{made.slug}")))
    assert data["offers"]["availability"] == f"https://schema.org/{availability}"


def test_json_ld_cannot_be_broken_out_of(client, make_shop):
    shop = make_shop("tricky", name="</script><script>alert(1)</script>")
    made = make_product(shop, "Lamp </script><img src=x onerror=alert(1)>", slug="lamp")
    page = body(client.get(f"/shop/tricky/products/{made.slug}"))
    data = json_ld(page)
    assert data["name"] == "Lamp </script><img src=x onerror=alert(1)>"
    assert data["brand"]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in page


def test_product_without_images_has_no_og_image(client, shop_a):
    made = make_product(shop_a, "Bare")
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    assert meta(page, "og:image") is None
    assert "image" not in json_ld(page)


def test_shop_category_and_home_canonical_links(client, shop_a):
    make_category("Lamps")
    assert '<link rel="canonical" href="http://mall.test/shop/shop-a/">' in body(
        client.get("/shop/shop-a/")
    )
    assert '<link rel="canonical" href="http://mall.test/categories/lamps">' in body(
        client.get("/categories/lamps")
    )
    assert '<link rel="canonical" href="http://mall.test/">' in body(client.get("/"))


def test_search_and_cart_are_not_indexed(client):
    assert '<meta name="robots" content="noindex, follow">' in body(client.get("/search?q=x"))
    assert '<meta name="robots" content="noindex">' in body(client.get("/cart/"))


# ---------------------------------------------------------------- sitemap and robots.txt


def locs(xml: bytes, tag: str = "url") -> dict[str, str | None]:
    root = ET.fromstring(xml)
    found = {}
    for node in root.findall(f"sm:{tag}", SITEMAP_NS):
        lastmod = node.find("sm:lastmod", SITEMAP_NS)
        found[node.find("sm:loc", SITEMAP_NS).text] = lastmod.text if lastmod is not None else None
    return found


@pytest.fixture
def catalog(make_shop, shop_a):
    garden = make_category("Garden")
    make_category("Tools", parent=garden)
    make_shop("pending-shop", status=TenantStatus.PENDING)
    return [make_product(shop_a, f"Spade {n}", category=garden) for n in range(3)]


def test_sitemap_lists_home_categories_shops_and_products(client, catalog):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    urls = locs(response.data)
    expected = {
        "http://mall.test/",
        "http://mall.test/categories/garden",
        "http://mall.test/categories/tools",
        "http://mall.test/shop/shop-a/",
        *(f"http://mall.test/shop/shop-a/products/{p.slug}" for p in catalog),
    }
    assert set(urls) == expected
    for lastmod in urls.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", lastmod)


def test_big_sitemap_becomes_an_index_of_files(client, catalog, monkeypatch):
    monkeypatch.setattr(catalog_views, "SITEMAP_MAX_URLS", 3)
    index = client.get("/sitemap.xml")
    files = locs(index.data, tag="sitemap")
    assert list(files) == [f"http://mall.test/sitemap-{n}.xml" for n in (1, 2, 3)]
    seen: list[str] = []
    for n in (1, 2, 3):
        response = client.get(f"/sitemap-{n}.xml")
        assert response.status_code == 200
        part = locs(response.data)
        assert 1 <= len(part) <= 3
        seen += part
    assert len(seen) == len(set(seen)) == 7  # home, 2 categories, 1 shop, 3 products
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_sitemap_query_count_is_bounded(client, catalog, count_queries, shop_a):
    with count_queries() as counter:
        client.get("/sitemap.xml")
    few = counter.count
    for n in range(10):
        make_product(shop_a, f"More {n}")
    with count_queries() as counter:
        client.get("/sitemap.xml")
    assert counter.count == few <= 4


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Sitemap: http://mall.test/sitemap.xml" in text
    assert "Disallow: /cart/" in text and "Disallow: /shop/*/admin/" in text
