"""A shop's newsletters, /shop/<slug>/admin/newsletters/: ``newsletters_admin``.

Compose (subject and Markdown text), preview, send to the shop's opted-in
customers through a job, and watch its progress. ``shop.settings`` (owners and
managers). Newsletters are read by id through the tenant guard: another shop's
ids answer 404. Each action: validate, one service, commit (or roll back),
flash, 303.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g
from flask.typing import ResponseReturnValue

from mall.errors import get_or_404
from mall.newsletters import pages, services
from mall.shops.permissions import can, requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "newsletters_admin",
    __name__,
    admin=True,
    url_prefix="/admin/newsletters",
    template_folder="templates",
)

SHOP = pages.Audience(
    endpoint="newsletters_admin",
    layout="newsletters/admin/layout.html",
    mall=False,
    get=services.get_newsletter,
)


@bp.context_processor
def newsletter_helpers() -> dict[str, Any]:
    """What ``shops/admin_base.html`` needs on these pages."""
    membership = g.get("membership")
    return {
        "can": lambda permission: membership is not None and can(membership.role, permission),
        "shop": g.get("shop"),
    }


@bp.get("/")
@requires("shop.settings")
def index() -> ResponseReturnValue:
    """The shop's newsletters, newest first, and a form for a new one."""
    return pages.index(SHOP)


@bp.post("/")
@requires("shop.settings")
def create() -> ResponseReturnValue:
    """Save a new draft."""
    return pages.create(SHOP)


@bp.get("/<uuid:newsletter_id>")
@requires("shop.settings")
def show(newsletter_id: UUID) -> ResponseReturnValue:
    """A newsletter: its draft and preview, or its progress."""
    return pages.show(SHOP, get_or_404(services.get_newsletter, newsletter_id))


@bp.post("/<uuid:newsletter_id>")
@requires("shop.settings")
def update(newsletter_id: UUID) -> ResponseReturnValue:
    """Change a draft."""
    return pages.update(SHOP, get_or_404(services.get_newsletter, newsletter_id))


@bp.post("/<uuid:newsletter_id>/send")
@requires("shop.settings")
def send(newsletter_id: UUID) -> ResponseReturnValue:
    """Send a draft (or resume one cut short) to everyone opted in."""
    return pages.send(SHOP, get_or_404(services.get_newsletter, newsletter_id))
