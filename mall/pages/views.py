"""Mall-wide pages: home, privacy, health check (search and cart live in catalog and cart)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from mall.catalog.search import category_tree, showcase
from mall.extensions import csrf, limiter
from mall.pages.services import check_health
from mall.pagination import page_number
from tenants.services import active_shops

bp = Blueprint("pages", __name__, template_folder="templates")

HOME_LIST_SIZE = 8


@bp.get("/")
def home() -> ResponseReturnValue:
    """The mall's front page: shops, top-level categories, newest and best-selling products.

    Six queries whatever the data: shops (count and page), categories, two product
    lists (with their shops) and the first image of each listed product.
    """
    shops = active_shops(page=page_number(request.args.get("page")), per_page=HOME_LIST_SIZE)
    categories = category_tree().children(None)
    products = showcase(HOME_LIST_SIZE)
    return render_template("pages/home.html", shops=shops, categories=categories, showcase=products)


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """What Mall does with personal data, and what it never does."""
    return render_template("pages/privacy.html")


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """Liveness and readiness for load balancers: JSON, 200 or 503."""
    healthy, report = check_health(current_app)
    return jsonify(report), 200 if healthy else 503
