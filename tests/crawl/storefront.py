"""The public catalog: mall-wide search, categories, sitemap, the cart, and shop storefronts."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

MALL_ROUTES = {
    "catalog.search",
    "catalog.category",
    "catalog.sitemap",
    "catalog.sitemap_file",
    "catalog.robots",
    "cart.view",
    "cart.add",
    "cart.update",
    "cart.remove",
    "cart.country",
    "cart.shipping",
    "cart.coupons",
}
SHOP_ROUTES = {"storefront.shop_home", "storefront.product"}


def make_product_slug(shop) -> str:
    """A published product of ``shop``; returns its slug."""
    from mall.catalog.models import ProductStatus
    from mall.catalog.services import ProductInput, VariantInput, create_product
    from tenants.context import tenant_context

    token = uuid4().hex[:12]
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=f"Crawl product {token}",
                slug=f"crawl-{token}",
                status=ProductStatus.PUBLISHED,
                variants=[VariantInput(sku=f"CRAWL-{token}", price=1000)],
            )
        )
        slug = product.slug
        db.session.commit()
    return slug


OBJECT_IDS = {"product_slug": make_product_slug}
