"""The shop's own public pages; the request runs inside the shop's tenant context."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, request
from flask.typing import ResponseReturnValue

from mall.catalog.listing_args import parse_listing_args
from mall.catalog.models import Product, Variant
from mall.catalog.search import shop_products
from mall.catalog.views import public_url
from mall.money import currency, to_decimal_text
from mall.pagecache.pages import cached_page
from mall.pagecache.versions import TREE, shop_version
from mall.storefront.services import (
    option_choice,
    plain_text,
    published_product,
    stock_state,
)
from tenants.resolution import shop_blueprint

bp = shop_blueprint("storefront", __name__, template_folder="templates")

PER_PAGE = 24


@bp.get("/")
def shop_home() -> ResponseReturnValue:
    """The shop's front page: logo, description, policies and its products."""
    args = parse_listing_args(request.args)

    def context() -> dict[str, Any]:
        result = shop_products(
            sort=args.sort or "newest",
            page=args.page,
            per_page=PER_PAGE,
            price_min=args.price_min,
            price_max=args.price_max,
            in_stock=args.in_stock,
        )
        return {"shop": g.shop, "result": result, "args": args}

    listing = args.cache_key()
    return cached_page(
        "storefront/shop_home.html",
        key=None if listing is None else ("shop", g.shop.id, *listing),
        versions=(TREE, shop_version(g.shop.id)),
        context=context,
    )


@bp.get("/products/<product_slug>")
def product(product_slug: str) -> ResponseReturnValue:
    """A product: gallery, variant picker, price, stock and an add-to-cart form.

    From the page cache when it holds the product's current version (no query);
    else 3 queries. ``?variant=<id>`` pages are rendered each time.
    """
    wanted = request.args.get("variant")
    return cached_page(
        "storefront/product.html",
        key=None if wanted else ("product", g.shop.id, product_slug),
        versions=(TREE, shop_version(g.shop.id)),
        context=lambda: _product_page(product_slug, wanted),
    )


def _product_page(product_slug: str, wanted: str | None) -> dict[str, Any]:
    item = published_product(product_slug)
    if item is None:
        abort(404)
    variants = list(item.variants)
    images = list(item.images)
    selected = _selected_variant(variants, wanted)
    canonical = public_url("storefront.product", shop=g.shop.slug, product_slug=item.slug)
    image_urls = []
    if "catalog_media.media" in current_app.view_functions:
        image_urls = [
            public_url("catalog_media.media", shop=g.shop.slug, key=image.storage_key)
            for image in images
        ]
    return {
        "shop": g.shop,
        "product": item,
        "variants": [(v, option_choice(v, item), stock_state(v)) for v in variants],
        "any_buyable": any(stock_state(v).buyable for v in variants),
        "selected": selected,
        "selected_state": stock_state(selected) if selected else None,
        "images": images,
        "canonical": canonical,
        "og_image": image_urls[0] if image_urls else None,
        "description": plain_text(item.description_html, limit=300),
        "structured_data": _json_ld(item, selected, canonical, image_urls),
    }


def _selected_variant(variants: list[Variant], wanted: str | None) -> Variant | None:
    """The variant asked for (``?variant=<id>``), else the first one that can be bought."""
    if wanted:
        for variant in variants:
            if str(variant.id) == wanted or variant.id.hex == wanted:
                return variant
    for variant in variants:
        if stock_state(variant).buyable:
            return variant
    return variants[0] if variants else None


def _json_ld(
    product: Product, selected: Variant | None, canonical: str, image_urls: list[str]
) -> dict[str, Any]:
    """schema.org ``Product`` for search engines (rendered in a non-executed data block)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "url": canonical,
        "description": plain_text(product.description_html),
        "brand": {"@type": "Brand", "name": g.shop.name},
    }
    if image_urls:
        data["image"] = image_urls
    if product.category is not None:
        data["category"] = product.category.name
    if selected is not None:
        data["sku"] = selected.sku
        data["offers"] = {
            "@type": "Offer",
            "url": canonical,
            "sku": selected.sku,
            "price": to_decimal_text(selected.price),
            "priceCurrency": currency(),
            "availability": stock_state(selected).schema,
            "seller": {"@type": "Organization", "name": g.shop.name},
        }
    return data
