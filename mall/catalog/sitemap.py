"""Sitemap reads: published products of active shops, counted and listed for sitemap.xml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mall.catalog.models import Category, Product
from mall.catalog.search import published_of_active_shops
from mall.extensions import db
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus


@dataclass(frozen=True)
class SitemapEntry:
    """One URL of the sitemap: an endpoint with its values and when it last changed."""

    endpoint: str
    values: dict[str, str]
    lastmod: datetime | None


@dataclass(frozen=True)
class SitemapSize:
    categories: int
    shops: int
    products: int
    newest: datetime | None

    @property
    def total(self) -> int:
        return 1 + self.categories + self.shops + self.products


def _sitemap_products() -> sa.Select:
    statement = sa.select(Tenant.slug, Product.slug, Product.updated_at).select_from(Product)
    return published_of_active_shops(statement).order_by(Product.tenant_id, Product.id)


def sitemap_size() -> SitemapSize:
    """How many URLs the sitemap lists, and when the catalog last changed (one query)."""
    with all_tenants("sitemap: counting published products of active shops"):
        products = published_of_active_shops(
            sa.select(
                sa.func.count().label("n"), sa.func.max(Product.updated_at).label("latest")
            ).select_from(Product),
        ).subquery()
        row = db.session.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(Category).scalar_subquery(),
                sa.select(sa.func.count())
                .select_from(Tenant)
                .where(Tenant.status == TenantStatus.ACTIVE)
                .scalar_subquery(),
                products.c.n,
                products.c.latest,
            )
        ).one()
    return SitemapSize(categories=row[0], shops=row[1], products=row[2], newest=row[3])


def sitemap_entries(size: SitemapSize, offset: int, limit: int) -> list[SitemapEntry]:
    """URLs ``offset`` to ``offset + limit`` of the sitemap: home, categories, shops, products.

    At most one query per section that falls in the window.
    """
    entries: list[SitemapEntry] = []

    def take(position: int, count: int) -> tuple[int, int] | None:
        """The slice of a section starting at ``position`` that falls in the window."""
        start, stop = max(offset, position), min(offset + limit, position + count)
        return (start - position, stop - start) if stop > start else None

    position = 0
    if take(position, 1):
        entries.append(SitemapEntry("pages.home", {}, size.newest))
    position += 1
    window = take(position, size.categories)
    if window:
        rows = db.session.scalars(
            sa.select(Category).order_by(Category.slug).offset(window[0]).limit(window[1])
        )
        entries += [SitemapEntry("catalog.category", {"slug": c.slug}, c.updated_at) for c in rows]
    position += size.categories
    window = take(position, size.shops)
    if window:
        rows = db.session.execute(
            sa.select(Tenant.slug, Tenant.updated_at)
            .where(Tenant.status == TenantStatus.ACTIVE)
            .order_by(Tenant.slug)
            .offset(window[0])
            .limit(window[1])
        )
        entries += [
            SitemapEntry("storefront.shop_home", {"shop": slug}, updated) for slug, updated in rows
        ]
    position += size.shops
    window = take(position, size.products)
    if window:
        with all_tenants("sitemap: published products of active shops"):
            rows = db.session.execute(_sitemap_products().offset(window[0]).limit(window[1])).all()
        entries += [
            SitemapEntry("storefront.product", {"shop": shop, "product_slug": slug}, updated)
            for shop, slug, updated in rows
        ]
    return entries
