"""List pages: paginated, and their query count does not grow with the rows shown."""

from __future__ import annotations


def queries_for(client, count_queries, url: str) -> int:
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_home_page_query_count_is_flat(client, make_shop, count_queries):
    from tests.mall.test_storefront import make_category, make_product

    make_product(make_shop(), "First", sales=1)
    few = queries_for(client, count_queries, "/")
    for n in range(11):
        shop = make_shop()
        make_category(f"Top {n}")
        make_product(shop, f"Thing {n}", images=2, variants=3, sales=n)
    assert queries_for(client, count_queries, "/") == few
    assert few <= 7


def test_search_page_query_count_is_flat(client, make_shop, count_queries):
    make_shop(name="Blue 1")
    few = queries_for(client, count_queries, "/search?q=blue")
    for n in range(2, 20):
        make_shop(name=f"Blue {n}")
    assert queries_for(client, count_queries, "/search?q=blue") == few


def test_home_page_is_paginated(client, make_shop):
    for n in range(9):  # eight shops a page
        make_shop(f"paged-{n:02d}", name=f"Paged {n:02d}")
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Paged 00" in second and "Paged 00" not in first
