"""Lists paged by position (``mall.pagination.keyset_paginate``): a position from a link need not
be a row, and the pager offers "Newer" and "Older" only where there are rows."""

from __future__ import annotations

from mall.orders import admin_views
from tests.mall.test_order_list import ORDERS, at, link, numbers_in, order_of

FAR_FUTURE = f"9999999999999999-{'f' * 32}"
BEFORE_1970 = f"1-{'0' * 32}"


def test_a_far_future_older_position_shows_the_newest_page_without_newer(
    client, shop_a, member_of_a, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    made = [order_of(shop_a, placed=at(day)) for day in (10, 11, 12)]
    html = client.get(f"{ORDERS}/?older={FAR_FUTURE}").get_data(as_text=True)
    assert numbers_in(html, made) == [made[1].number, made[2].number]  # the two newest
    assert 'rel="prev"' not in html and "Newer</span>" in html  # nothing newer to go to
    assert "Newest</span>" in html  # this is the newest page
    assert 'rel="next"' in html  # the oldest order is one page down
    older = client.get(link(html, "next")).get_data(as_text=True)
    assert numbers_in(older, made) == [made[0].number]
    assert 'rel="prev"' in older and 'rel="next"' not in older


def test_a_far_past_newer_position_shows_the_oldest_page_without_older(
    client, shop_a, member_of_a, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    made = [order_of(shop_a, placed=at(day)) for day in (10, 11, 12)]
    html = client.get(f"{ORDERS}/?newer={BEFORE_1970}").get_data(as_text=True)
    assert numbers_in(html, made) == [made[0].number, made[1].number]  # the two oldest
    assert 'rel="next"' not in html and "Older</span>" in html  # nothing older to go to
    newer = client.get(link(html, "prev")).get_data(as_text=True)
    assert made[2].number in numbers_in(newer, made)


def test_another_shops_newer_orders_offer_no_newer_page(
    client, shop_a, shop_b, member_of_a, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    mine = [order_of(shop_a, placed=at(day)) for day in (10, 11)]
    order_of(shop_b, placed=at(20))  # after shop A's newest: must not count as "newer"
    position = "1805068800000000-" + "f" * 32  # 2027-03-15, between the two shops' orders
    html = client.get(f"{ORDERS}/?older={position}").get_data(as_text=True)
    assert sorted(numbers_in(html, mine)) == sorted(o.number for o in mine)
    assert 'rel="prev"' not in html  # shop B's order is not a newer page of shop A's list


def test_a_real_position_still_links_both_ways(client, shop_a, member_of_a, monkeypatch):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 1)
    made = [order_of(shop_a, placed=at(day)) for day in (10, 11, 12)]
    first = client.get(f"{ORDERS}/").get_data(as_text=True)
    middle = client.get(link(first, "next")).get_data(as_text=True)
    assert numbers_in(middle, made) == [made[1].number]
    assert 'rel="prev"' in middle and 'rel="next"' in middle
    assert "Newest</a>" in middle
    before_1970 = client.get(f"{ORDERS}/?older={BEFORE_1970}").get_data(as_text=True)
    assert "Go to the newest orders" in before_1970  # an empty page below every order


def test_a_made_up_position_costs_what_the_first_page_does(
    client, shop_a, member_of_a, count_queries, monkeypatch
):
    monkeypatch.setattr(admin_views, "ORDERS_PER_PAGE", 2)
    for day in (10, 11, 12):
        order_of(shop_a, placed=at(day))
    counts = []
    for query in ("", f"?older={FAR_FUTURE}", f"?newer={BEFORE_1970}"):
        with count_queries() as counted:
            assert client.get(f"{ORDERS}/{query}").status_code == 200
        counts.append(counted.count)
    assert len(set(counts)) == 1, counts
