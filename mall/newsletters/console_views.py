"""The mall's newsletters in the operator console, /admin/newsletters: ``newsletters_console``.

The same pages as a shop's (compose, preview, send through a job, progress), for
the mall's subscribers. Operators only.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.errors import get_or_404
from mall.newsletters import pages, services

bp = Blueprint(
    "newsletters_console", __name__, url_prefix="/admin/newsletters", template_folder="templates"
)

MALL = pages.Audience(
    endpoint="newsletters_console",
    layout="newsletters/console/layout.html",
    mall=True,
    get=services.get_mall_newsletter,
)


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """The mall's newsletters, newest first, and a form for a new one."""
    return pages.index(MALL)


@bp.post("/")
@operator_required
def create() -> ResponseReturnValue:
    """Save a new draft."""
    return pages.create(MALL)


@bp.get("/<uuid:newsletter_id>")
@operator_required
def show(newsletter_id: UUID) -> ResponseReturnValue:
    """A newsletter: its draft and preview, or its progress."""
    return pages.show(MALL, get_or_404(services.get_mall_newsletter, newsletter_id))


@bp.post("/<uuid:newsletter_id>")
@operator_required
def update(newsletter_id: UUID) -> ResponseReturnValue:
    """Change a draft."""
    return pages.update(MALL, get_or_404(services.get_mall_newsletter, newsletter_id))


@bp.post("/<uuid:newsletter_id>/send")
@operator_required
def send(newsletter_id: UUID) -> ResponseReturnValue:
    """Send a draft (or resume one cut short) to everyone opted in."""
    return pages.send(MALL, get_or_404(services.get_mall_newsletter, newsletter_id))
