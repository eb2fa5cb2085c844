"""Mall-wide pages: home, shop search, privacy, health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from mall.extensions import csrf, limiter
from mall.pages.services import check_health
from mall.pagination import page_number
from tenants.services import active_shops

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def home() -> ResponseReturnValue:
    """The mall's front page: its shops."""
    shops = active_shops(page=page_number(request.args.get("page")), per_page=12)
    return render_template("pages/home.html", shops=shops)


@bp.get("/search")
@limiter.limit("60/minute")
def search() -> ResponseReturnValue:
    """Search the mall (shops by name for now; products join when the catalog lands)."""
    query = (request.args.get("q") or "").strip()[:200]
    results = active_shops(page=page_number(request.args.get("page")), per_page=24, query=query)
    return render_template("pages/search.html", query=query, results=results)


@bp.get("/cart")
def cart() -> ResponseReturnValue:
    """The customer's cart across every shop."""
    return render_template("pages/cart.html")


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
