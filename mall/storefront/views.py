"""The shop's own pages; the request runs inside the shop's tenant context."""

from __future__ import annotations

from flask import g, render_template
from flask.typing import ResponseReturnValue

from tenants.resolution import shop_blueprint

bp = shop_blueprint("storefront", __name__, template_folder="templates")


@bp.get("/")
def shop_home() -> ResponseReturnValue:
    """The shop's front page."""
    return render_template("storefront/shop_home.html", shop=g.shop)
