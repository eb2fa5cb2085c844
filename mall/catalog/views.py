"""The catalog's public pages.

``bp`` (``catalog``), mall-wide: search, category pages, the sitemap and robots.txt.
``shop_bp`` (``catalog_media``), per shop: product images at /shop/<slug>/media/<key>
(open shops only; digital files never).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.catalog import media
from mall.catalog.listing_args import ListingArgs, parse_listing_args
from mall.catalog.search import SORT_LABELS, SORTS, category_tree, search_products
from mall.catalog.search_text import clean_query
from mall.catalog.sitemap import sitemap_entries, sitemap_size
from mall.extensions import limiter
from mall.money import format_money
from mall.pagecache.pages import cached_page
from mall.pagecache.versions import LISTINGS, TREE
from mall.storage import StorageKeyInvalid, storage
from mall.urls import external_url
from tenants.resolution import shop_blueprint

bp = Blueprint("catalog", __name__, template_folder="templates")
shop_bp = shop_blueprint("catalog_media", __name__, url_prefix="/media")

SITEMAP_MAX_URLS = 10_000  # per sitemap file (the protocol allows 50,000)
PER_PAGE = 24
MEDIA_CACHE = "public, max-age=31536000, immutable"  # keys are random and never reused


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the mall's public address (canonical links, sitemap, Open Graph)."""
    if current_app.config.get("PUBLIC_URL"):
        return external_url(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def w3c_datetime(value: datetime | None) -> str:
    """``2026-05-01T10:00:00+00:00`` for ``<lastmod>``."""
    return value.isoformat(timespec="seconds") if value else ""


@bp.app_context_processor
def catalog_helpers() -> dict[str, Any]:
    return {
        "format_money": format_money,
        "public_url": public_url,
        "sort_labels": SORT_LABELS,
        "sorts": SORTS,
    }


@bp.get("/search")
@limiter.limit("60/minute")
def search() -> ResponseReturnValue:
    """Search the mall's products (and shops by name): filters, sorting, pages."""
    args = parse_listing_args(request.args)
    category = (request.args.get("category") or "").strip()[:100] or None
    shop = (request.args.get("shop") or "").strip()[:63] or None
    query = clean_query(request.args.get("q"))
    listing = args.cache_key() if not (category or shop) else None

    def context() -> dict[str, Any]:
        result = search_products(
            query,
            category_slug=category,
            shop_slug=shop,
            price_min=args.price_min,
            price_max=args.price_max,
            in_stock=args.in_stock,
            sort=args.sort or "relevance",
            page=args.page,
            per_page=PER_PAGE,
        )
        keep = {**args.query_args(), "q": result.query or None, "category": category, "shop": shop}
        return {"result": result, "args": args, "keep": keep, "category": category}

    return cached_page(
        "catalog/public/search.html",
        key=None if listing is None else ("search", query, *listing),
        versions=(TREE, LISTINGS),
        context=context,
    )


@bp.get("/categories/<slug>")
def category(slug: str) -> ResponseReturnValue:
    """A category: breadcrumb, sub-categories, products of it and everything below it."""
    args = parse_listing_args(request.args)
    listing = args.cache_key()
    return cached_page(
        "catalog/public/category.html",
        key=None if listing is None or len(slug) > 100 else ("category", slug, *listing),
        versions=(TREE, LISTINGS),
        context=lambda: _category_page(slug, args),
    )


def _category_page(slug: str, args: ListingArgs) -> dict[str, Any]:
    tree = category_tree()
    current = tree.by_slug.get(slug)
    if current is None:
        abort(404)
    result = search_products(
        None,
        category_slug=slug,
        price_min=args.price_min,
        price_max=args.price_max,
        in_stock=args.in_stock,
        sort=args.sort or "newest",
        page=args.page,
        per_page=PER_PAGE,
        tree=tree,
    )
    return {
        "category": current,
        "ancestors": tree.ancestors(current),
        "children": tree.children(current),
        "result": result,
        "args": args,
        "keep": {**args.query_args(), "slug": slug},
    }


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """Every public page worth indexing, or an index of sitemap files when there are many."""
    size = sitemap_size()
    if size.total > SITEMAP_MAX_URLS:
        files = math.ceil(size.total / SITEMAP_MAX_URLS)
        body = render_template(
            "catalog/public/sitemap_index.xml",
            files=range(1, files + 1),
            lastmod=w3c_datetime(size.newest),
        )
    else:
        body = _urlset(size, 1)
    return _xml(body)


@bp.get("/sitemap-<int:number>.xml")
def sitemap_file(number: int) -> ResponseReturnValue:
    """One file of a sitemap split by ``SITEMAP_MAX_URLS``."""
    size = sitemap_size()
    if number < 1 or number > max(1, math.ceil(size.total / SITEMAP_MAX_URLS)):
        abort(404)
    return _xml(_urlset(size, number))


def _urlset(size: Any, number: int) -> str:
    entries = sitemap_entries(size, (number - 1) * SITEMAP_MAX_URLS, SITEMAP_MAX_URLS)
    urls = [
        (public_url(entry.endpoint, **entry.values), w3c_datetime(entry.lastmod))
        for entry in entries
    ]
    return render_template("catalog/public/sitemap.xml", urls=urls)


def _xml(body: str) -> Response:
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    """What crawlers may visit, and where the sitemap is."""
    body = render_template("catalog/public/robots.txt", sitemap_url=public_url("catalog.sitemap"))
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# ---------------------------------------------------------------- a shop's product images


@shop_bp.get("/<path:key>", endpoint="media")  # catalog_media.media
def media_file(key: str) -> ResponseReturnValue:
    """A product image or thumbnail of this shop; nothing else (digital files never) is served."""
    if not media.is_public_key(key, g.shop.id):
        abort(404)
    return serve_stored(key, MEDIA_CACHE)


def serve_stored(key: str, cache: str) -> Response:
    """A stored image as a response with ``Cache-Control: cache`` (404 when it is missing)."""
    try:
        data = storage().open(key)
    except (FileNotFoundError, StorageKeyInvalid):
        abort(404)
    response = Response(data, mimetype=media.content_type_for(key))
    response.headers["Cache-Control"] = cache
    return response
