"""The customer's invoice and credit notes, behind the order's tracking link (``invoices_public``).

``/orders/<token>/documents/<id>`` (a page) and ``….pdf`` (a download): the
signed tracking token opens the order (``mall.orders.tracking``: tampered,
replaced or unknown answers 404), and only that order's documents are served.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, url_for
from flask.typing import ResponseReturnValue

from mall.invoices import rendering, services
from mall.invoices.models import Invoice
from mall.orders.models import Order
from mall.orders.tracking_views import tracked_or_404
from tenants.context import tenant_context

bp = Blueprint("invoices_public", __name__, url_prefix="/orders", template_folder="templates")


def _document_of(order: Order, document_id: UUID) -> Invoice:
    found = services.get_document(document_id)
    if found is None or found.order_id != order.id:
        abort(404)
    return found


@bp.get("/<token>/documents/<uuid:document_id>")
def document(token: str, document_id: UUID) -> ResponseReturnValue:
    """The order's invoice or a credit note as a printable page."""
    order = tracked_or_404(token)
    with tenant_context(order.tenant_id):
        found = _document_of(order, document_id)
        html = rendering.document_html(
            found,
            back_url=url_for("tracking.order", token=token),
            pdf_url=url_for("invoices_public.document_pdf", token=token, document_id=found.id),
        )
    return rendering.private_response(html, "text/html")


@bp.get("/<token>/documents/<uuid:document_id>.pdf")
def document_pdf(token: str, document_id: UUID) -> ResponseReturnValue:
    """The order's invoice or a credit note as a PDF download."""
    order = tracked_or_404(token)
    with tenant_context(order.tenant_id):
        return rendering.pdf_response(_document_of(order, document_id))
