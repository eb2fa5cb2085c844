"""Offset pages: a count and the rows; a page past the end costs the count alone."""

from __future__ import annotations

import sqlalchemy as sa

from mall.pagination import paginate
from tenants.models import Tenant


def _shops() -> sa.Select:
    return sa.select(Tenant).order_by(Tenant.slug, Tenant.id)


def test_a_page_holds_its_rows_and_the_total(app, shop_a, shop_b, count_queries):
    with count_queries() as queries:
        page = paginate(_shops(), page=1, per_page=1)
    assert [shop.slug for shop in page.items] == [sorted([shop_a.slug, shop_b.slug])[0]]
    assert (page.total, page.pages, page.has_next) == (2, 2, True)
    assert queries.count == 2


def test_a_page_past_the_end_is_empty_without_asking_for_rows(app, shop_a, count_queries):
    with count_queries() as queries:
        page = paginate(_shops(), page=999, per_page=25)
    assert page.items == [] and page.total == 1 and not page.has_next
    assert queries.count == 1
