"""Mall-wide pages: home, privacy, health check (search and cart live in catalog and cart)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from mall.catalog.listing_args import CACHED_PAGES
from mall.catalog.search import category_tree, showcase
from mall.extensions import csrf, limiter
from mall.pagecache.pages import cached_page
from mall.pagecache.versions import LISTINGS, TREE
from mall.pages.services import check_health, privacy_facts
from mall.pagination import page_number
from tenants.services import active_shops

bp = Blueprint("pages", __name__, template_folder="templates")

HOME_LIST_SIZE = 8


@bp.get("/")
def home() -> ResponseReturnValue:
    """The mall's front page: shops, top-level categories, newest and best-selling products.

    From the page cache when it holds the current version of the lists; else six
    queries whatever the data: shops (count and page), categories, two product
    lists (with their shops) and the first image of each listed product.
    """
    page = page_number(request.args.get("page"))

    def context() -> dict[str, Any]:
        return {
            "shops": active_shops(page=page, per_page=HOME_LIST_SIZE),
            "categories": category_tree().children(None),
            "showcase": showcase(HOME_LIST_SIZE),
        }

    return cached_page(
        "pages/home.html",
        key=("home", page) if page <= CACHED_PAGES else None,
        versions=(TREE, LISTINGS),
        context=context,
    )


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """What Mall does with personal data, and what it never does (numbers from the settings)."""
    return render_template("pages/privacy.html", facts=privacy_facts(current_app.config))


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """Liveness and readiness for load balancers: JSON, 200 or 503."""
    healthy, report = check_health(current_app)
    return jsonify(report), 200 if healthy else 503
