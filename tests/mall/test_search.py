"""Mall-wide search: what it finds, how it ranks, filters, sorts and pages, and what it hides."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.catalog import search
from mall.catalog.models import Product, ProductStatus
from mall.catalog.search import search_products
from mall.catalog.search_text import TextMatch, clean_query, fts5_query, query_terms, tsquery_prefix
from mall.db import utcnow
from mall.extensions import db
from tenants.context import all_tenants
from tenants.models import TenantStatus
from tenants.services import set_status
from tests.mall.test_storefront import body, make_category, make_product, queries_for


def titles(result) -> list[str]:
    return [p.title for p in result.products]


# ---------------------------------------------------------------- visibility


@pytest.fixture
def hidden_world(make_shop, shop_a):
    """Shop A sells "Visible Lantern"; every other "… Lantern" must stay out of sight."""
    lamps = make_category("Lamps")
    make_product(shop_a, "Visible Lantern", category=lamps, sales=5)
    make_product(shop_a, "Draft Lantern", status=ProductStatus.DRAFT, category=lamps, sales=9)
    for status in (TenantStatus.PENDING, TenantStatus.SUSPENDED, TenantStatus.CLOSED):
        shop = make_shop(f"{status.value}-shop", name=f"{status.value.title()} Shop")
        make_product(shop, f"{status.value.title()} Lantern", category=lamps, sales=9)
        set_status(shop, status)
    db.session.commit()
    return lamps


HIDDEN = ("Draft Lantern", "Pending Lantern", "Suspended Lantern", "Closed Lantern")


@pytest.mark.parametrize(
    "url",
    ["/", "/search?q=lantern", "/search", "/categories/lamps", "/shop/shop-a/", "/sitemap.xml"],
)
def test_hidden_products_appear_on_no_public_page(client, hidden_world, url):
    page = body(client.get(url))
    for title in HIDDEN:
        assert title not in page, f"{title} on {url}"
        assert title.lower().replace(" ", "-") not in page, f"{title} slug on {url}"
    if url != "/sitemap.xml":
        assert "Visible Lantern" in page
    else:
        assert "/shop/shop-a/products/visible-lantern-" in page


def test_search_finds_published_products_of_active_shops_only(app_ctx, hidden_world):
    assert titles(search_products("lantern")) == ["Visible Lantern"]
    assert titles(search_products(None)) == ["Visible Lantern"]
    assert search_products("lantern").page.total == 1


def test_shops_of_other_statuses_are_not_suggested(client, hidden_world):
    page = body(client.get("/search?q=shop"))
    for name in ("Pending Shop", "Suspended Shop", "Closed Shop"):
        assert name not in page


# ---------------------------------------------------------------- relevance


def test_title_beats_description(app_ctx, shop_a):
    make_product(shop_a, "Plain Mug", description="Goes well with a teapot.")
    make_product(shop_a, "Teapot", description="A pot for tea.")
    assert titles(search_products("teapot")) == ["Teapot", "Plain Mug"]


def test_exact_sku_comes_first_whatever_the_case(app_ctx, shop_a, shop_b):
    make_product(shop_a, "Bolt pack", description="Fits the ab-100 and ab-1000 frames.")
    make_product(shop_b, "Frame", sku="AB-100")
    make_product(shop_a, "Frame XL", sku="AB-1000")
    result = search_products("ab-100")
    assert titles(result)[0] == "Frame"
    assert set(titles(result)) >= {"Frame", "Bolt pack"}


def test_prefix_of_the_last_word_matches(app_ctx, shop_a):
    make_product(shop_a, "Copper Kettle")
    assert titles(search_products("copper ket")) == ["Copper Kettle"]
    assert titles(search_products("kettle copper")) == ["Copper Kettle"]


def test_every_word_must_match(app_ctx, shop_a):
    make_product(shop_a, "Copper Kettle")
    make_product(shop_a, "Steel Kettle")
    assert titles(search_products("steel kettle")) == ["Steel Kettle"]


def test_search_finds_by_shop_category_and_tag(app_ctx, make_shop):
    shop = make_shop("northwind", name="Northwind Outfitters")
    boots = make_category("Boots")
    make_product(shop, "Hiker", category=boots, tags=["waterproof"])
    assert titles(search_products("northwind")) == ["Hiker"]
    assert titles(search_products("boots")) == ["Hiker"]
    assert titles(search_products("waterproof")) == ["Hiker"]


def test_accented_words(app_ctx, shop_a):
    make_product(shop_a, "Café Crème")
    assert titles(search_products("café crème")) == ["Café Crème"]
    # Accents are folded on both: FTS5's remove_diacritics, PostgreSQL's unaccent.
    assert titles(search_products("cafe creme")) == ["Café Crème"]
    assert titles(search_products("CAFE")) == ["Café Crème"]


def test_queries_are_built_from_words_only():
    assert query_terms('red "shoes" OR NEAR(x) -y*') == ["red", "shoes", "OR", "NEAR", "x", "y"]
    assert fts5_query(["red", "OR"]) == '"red" "OR"*'
    assert fts5_query([]) == ""
    assert tsquery_prefix(["copper", "ket"]) == "'copper' & 'ket':*"


def test_websearch_syntax_works_on_postgresql(app_ctx, shop_a):
    make_product(shop_a, "Copper Kettle")
    make_product(shop_a, "Steel Kettle")
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite takes every word as a plain word
    assert titles(search_products("kettle -steel")) == ["Copper Kettle"]
    assert titles(search_products('"steel kettle"')) == ["Steel Kettle"]
    assert set(titles(search_products("copper or steel"))) == {"Copper Kettle", "Steel Kettle"}


def test_sku_with_punctuation_is_found(app_ctx, shop_a):
    make_product(shop_a, "Widget", sku="X.Y/Z-9")
    make_product(shop_a, "Gadget", sku="AB-100")
    assert titles(search_products("x.y/z-9")) == ["Widget"]
    assert titles(search_products("AB-100")) == ["Gadget"]


# ---------------------------------------------------------------- filters and sorting


def test_category_filter_includes_sub_categories(app_ctx, shop_a):
    garden = make_category("Garden")
    tools = make_category("Tools", parent=garden)
    spades = make_category("Spades", parent=tools)
    kitchen = make_category("Kitchen")
    make_product(shop_a, "Garden Gnome", category=garden)
    make_product(shop_a, "Garden Spade", category=spades)
    make_product(shop_a, "Garden Apron", category=kitchen)
    assert set(titles(search_products("garden", category_slug="garden"))) == {
        "Garden Gnome",
        "Garden Spade",
    }
    assert titles(search_products(None, category_slug="tools")) == ["Garden Spade"]
    assert titles(search_products(None, category_slug="no-such-category")) == []
    facets = {f.slug: f.count for f in search_products("garden").categories}
    assert facets == {"garden": 1, "spades": 1, "kitchen": 1}


def test_shop_price_and_stock_filters(app_ctx, shop_a, shop_b):
    make_product(shop_a, "Cheap Lamp", price=500)
    make_product(shop_a, "Dear Lamp", price=5000, stock=None)
    make_product(shop_b, "Mid Lamp", price=2000)
    assert set(titles(search_products("lamp", shop_slug="shop-a"))) == {"Cheap Lamp", "Dear Lamp"}
    assert titles(search_products("lamp", price_min=1000, price_max=3000)) == ["Mid Lamp"]
    assert titles(search_products("lamp", price_max=500)) == ["Cheap Lamp"]
    assert set(titles(search_products("lamp", in_stock=True))) == {"Cheap Lamp", "Mid Lamp"}


def test_sorting(app_ctx, shop_a):
    now = utcnow()
    make_product(shop_a, "Lamp A", price=300, published_at=now - timedelta(days=3))
    make_product(shop_a, "Lamp B", price=100, published_at=now - timedelta(days=1))
    make_product(shop_a, "Lamp C", price=200, published_at=now - timedelta(days=2))
    assert titles(search_products("lamp", sort="newest")) == ["Lamp B", "Lamp C", "Lamp A"]
    assert titles(search_products("lamp", sort="price_asc")) == ["Lamp B", "Lamp C", "Lamp A"]
    assert titles(search_products("lamp", sort="price_desc")) == ["Lamp A", "Lamp C", "Lamp B"]
    # Without a query there is no relevance: newest first.
    assert search_products(None, sort="relevance").sort == "newest"
    assert search_products("lamp", sort="bogus").sort == "relevance"


def test_pagination(app_ctx, shop_a):
    for n in range(5):
        make_product(shop_a, f"Lamp {n}", price=100 * (n + 1))
    first = search_products("lamp", sort="price_asc", per_page=2)
    third = search_products("lamp", sort="price_asc", per_page=2, page=3)
    beyond = search_products("lamp", sort="price_asc", per_page=2, page=9)
    assert titles(first) == ["Lamp 0", "Lamp 1"] and first.page.pages == 3
    assert titles(third) == ["Lamp 4"]
    assert titles(beyond) == [] and beyond.page.total == 5


def test_search_page_filters_from_the_query_string(client, shop_a, shop_b):
    lamps = make_category("Lamps")
    make_product(shop_a, "Desk Lamp", price=1500, category=lamps)
    make_product(shop_b, "Floor Lamp", price=4500)
    page = body(client.get("/search?q=lamp&price_min=10&price_max=20"))
    assert "Desk Lamp" in page and "Floor Lamp" not in page
    assert 'value="10"' in page and 'value="20"' in page  # the form keeps what was typed
    page = body(client.get("/search?q=lamp&shop=shop-b"))
    assert "Floor Lamp" in page and "Desk Lamp" not in page
    page = body(client.get("/search?q=lamp&category=lamps"))
    assert "Desk Lamp" in page and "Floor Lamp" not in page
    assert 'aria-current="true"' in page


def test_search_page_pages_keep_the_query_and_filters(client, shop_a):
    for n in range(30):
        make_product(shop_a, f"Lamp {n:02d}", price=100 + n)
    page = body(client.get("/search?q=lamp&sort=price_asc&in_stock=1"))
    assert "Page 1 of 2" in page
    assert 'href="/search?page=2&amp;sort=price_asc&amp;in_stock=1&amp;q=lamp"' in page
    second = body(client.get("/search?page=2&sort=price_asc&in_stock=1&q=lamp"))
    assert "Lamp 29" in second and "Lamp 00" not in second


def test_search_page_also_lists_matching_shops(client, make_shop):
    make_shop("paper-lantern", name="Paper Lantern Books")
    page = body(client.get("/search?q=lantern"))
    assert "Paper Lantern Books" in page and 'href="/shop/paper-lantern/"' in page


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "query_string",
    [
        "q=" + "x" * 5000,
        "q=%22",
        "q=%22%22%22",
        "q=NEAR(a%20b)",
        "q=a%20AND%20OR%20NOT",
        "q=*",
        "q=-lamp",
        "q=%F0%9F%94%A6%20lamp",
        "q=%E2%80%AE",
        "q=lamp%27%3B%20DROP%20TABLE%20products%3B--",
        "q=%25_%5C",
        "q=lamp&page=-1",
        "q=lamp&page=abc",
        "q=lamp&page=99999999999999999999",
        "q=lamp&price_min=abc&price_max=-5",
        "q=lamp&price_min=1e400",
        "q=lamp&sort=%3Cscript%3E",
        "q=lamp&category=%3Cx%3E",
        "q=lamp&shop=" + "s" * 500,
        "q=lamp&in_stock=maybe",
        "q[]=x",
    ],
)
def test_bad_input_gives_a_normal_page(client, shop_a, query_string):
    make_product(shop_a, "Desk Lamp")
    response = client.get(f"/search?{query_string}")
    assert response.status_code == 200
    assert "<h1" in body(response)


def test_control_characters_in_a_search_get_a_clear_400(client, shop_a):
    make_product(shop_a, "Desk Lamp")
    response = client.get("/search?q=%00lamp%01")
    assert response.status_code == 400
    assert "<h1" in body(response)


@pytest.mark.parametrize("query_string", ["page=-1", "page=x", "sort=x", "price_min=abc"])
def test_bad_input_on_category_and_shop_pages(client, shop_a, query_string):
    make_category("Lamps")
    assert client.get(f"/categories/lamps?{query_string}").status_code == 200
    assert client.get(f"/shop/shop-a/?{query_string}").status_code == 200


# ---------------------------------------------------------------- query counts


def test_search_page_queries_stay_bounded_as_data_grows(client, make_shop, count_queries):
    lamps = make_category("Lamps")
    desk = make_category("Desk lamps", parent=lamps)
    shop = make_shop("lamp-shop", name="Lamp Shop")
    make_product(shop, "Lamp 0", images=1, category=desk)
    urls = [
        "/search?q=lamp",
        "/search?q=lamp&category=lamps&in_stock=1&price_min=1&sort=price_asc",
        "/search",
        "/categories/lamps",
    ]
    few = [queries_for(client, count_queries, url) for url in urls]
    for n in range(1, 30):
        other = make_shop(f"lamp-shop-{n}", name=f"Lamp Shop {n}")
        make_product(other, f"Lamp {n}", images=3, variants=2, category=desk if n % 2 else lamps)
    many = [queries_for(client, count_queries, url) for url in urls]
    assert few == many
    # A text search: candidates, facets, a page of products, their images, matching
    # shops, and the category tree when filtering by category. PostgreSQL adds three:
    # building the tsquery, and setting and putting back the statement timeout.
    postgres = db.session.get_bind().dialect.name == "postgresql"
    assert max(many) <= 6 + (3 if postgres else 0)
    assert many[2] <= 4 and many[3] <= 4  # no text: facets, page, images (+ tree)


# ---------------------------------------------------------------- two stages, a cap, a timeout


def _every_match_ranked(query: str) -> list[str]:
    """The first page as search ranked it before the two stages: every match ranked at once."""
    text = clean_query(query)
    match = TextMatch.resolve(text, query_terms(text), db.session)
    with all_tenants("test: the ranking of every match"):
        statement, relevance = match.apply(search._visible(sa.select(Product), search._Filters()))
        rows = db.session.scalars(
            statement.order_by(*search._sort_order("relevance", relevance)).limit(24)
        )
        return [product.title for product in rows.unique()]


def test_the_first_page_is_the_one_ranking_every_match_gives(app_ctx, shop_a, shop_b):
    for n in range(30):
        make_product(
            shop_a if n % 2 else shop_b,
            f"Lamp {n}" + (" lamp shade" if n % 3 == 0 else ""),
            description="A lamp. " * (n % 5) + "Reading light.",
            tags=["lamp"] if n % 4 == 0 else [],
            published_at=utcnow() - timedelta(hours=n),
        )
    found = search_products("lamp", per_page=24)
    assert [p.title for p in found.products] == _every_match_ranked("lamp")
    assert found.page.total == 30 and not found.too_many


def test_past_the_cap_the_best_of_the_newest_are_shown_and_the_page_says_so(
    client, shop_a, monkeypatch
):
    monkeypatch.setattr("mall.catalog.search.RANKED_MATCHES", 3)
    for n in range(5):
        make_product(shop_a, f"Lamp {n}", published_at=utcnow() - timedelta(hours=n))
    found = search_products("lamp")
    assert found.too_many and [p.title for p in found.products] == ["Lamp 0", "Lamp 1", "Lamp 2"]
    page = body(client.get("/search?q=lamp"))
    assert "More than 3 products match" in page and "3+ products found" in page


def test_a_query_matching_every_product_answers(app_ctx, shop_a):
    for n in range(40):
        make_product(shop_a, f"Thing {n}")
    found = search_products("thing")
    assert not found.timed_out and found.page.total == 40 and len(found.products) == 24


def test_a_search_the_database_gives_up_on_says_so_and_the_page_still_works(
    client, shop_a, monkeypatch, backend
):
    if backend != "postgresql":
        pytest.skip("statement timeouts exist on PostgreSQL only")
    make_product(shop_a, "Lamp")

    def slow(filters, text):
        db.session.execute(sa.text("SELECT pg_sleep(1)"))

    monkeypatch.setattr("mall.catalog.search.SEARCH_TIMEOUT_MS", 50)
    monkeypatch.setattr("mall.catalog.search._candidates", slow)
    response = client.get("/search?q=lamp&price_min=1")  # a filter: rendered, not cached
    assert response.status_code == 200
    assert "matches too many products to sort in time" in body(response)
    assert "Lamp" in body(client.get("/shop/shop-a/"))  # the connection is fine afterwards
