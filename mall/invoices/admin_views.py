"""A shop's invoices and credit notes in its back office, /shop/<slug>/admin/invoices/.

The list (newest first, paged), each document as a page and as a PDF, and the
shop's invoice details (legal name, address, VAT number, footer). Reading needs
``orders.view``; the details need ``shop.settings``. Documents are read through
the tenant guard (``queries.visible_document``): another shop's id answers 404, and
so does, for a sales rep, a document a colleague entered (``queries.visible_to_rep``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.invoices import queries, rendering, services
from mall.invoices.errors import InvoiceError
from mall.invoices.forms import InvoiceDetailsForm
from mall.invoices.models import DocumentKind, Invoice
from mall.money import format_money
from mall.pagination import page_number
from mall.shops.models import Role
from mall.shops.permissions import can, requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "invoices_admin",
    __name__,
    admin=True,
    url_prefix="/admin/invoices",
    template_folder="templates",
)

PER_PAGE = 25
KINDS = {"invoice": DocumentKind.INVOICE, "credit_note": DocumentKind.CREDIT_NOTE}


def member_can(permission: str) -> bool:
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


def rep_id() -> UUID | None:
    """The signed-in member's id when a sales rep: they do not see what a colleague entered."""
    membership = g.get("membership")
    return current_user.id if membership is not None and membership.role is Role.SALES_REP else None


def _visible_or_404(document_id: UUID) -> Invoice:
    return get_or_404(queries.visible_document, document_id, rep_id=rep_id())


@bp.context_processor
def invoice_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "kind_label": lambda kind: rendering.TITLES.get(kind, str(kind)),
    }


@bp.get("/")
@requires("orders.view")
def index() -> ResponseReturnValue:
    """The shop's invoices and credit notes, newest first (``?kind=`` filters)."""
    kind = KINDS.get(request.args.get("kind", ""))
    listing = queries.document_list(
        page=page_number(request.args.get("page")), per_page=PER_PAGE, kind=kind, rep_id=rep_id()
    )
    return render_template(
        "invoices/admin/list.html",
        page=listing,
        kind=kind.value if kind else "",
        details=services.invoice_settings(),
        own_only=rep_id() is not None,
    )


@bp.get("/<uuid:document_id>")
@requires("orders.view")
def document(document_id: UUID) -> ResponseReturnValue:
    """One invoice or credit note as a printable page."""
    found = _visible_or_404(document_id)
    return rendering.private_response(
        rendering.document_html(
            found,
            back_url=url_for("invoices_admin.index"),
            pdf_url=url_for("invoices_admin.document_pdf", document_id=found.id),
        ),
        "text/html",
    )


@bp.get("/<uuid:document_id>.pdf")
@requires("orders.view")
def document_pdf(document_id: UUID) -> ResponseReturnValue:
    """One invoice or credit note as a PDF download."""
    found = _visible_or_404(document_id)
    return rendering.pdf_response(found)


@bp.route("/details", methods=["GET", "POST"])
@requires("shop.settings")
def details() -> ResponseReturnValue:
    """The shop's invoice details: legal name, address, VAT number, footer."""
    settings = services.invoice_settings()
    form = InvoiceDetailsForm(
        data={
            "legal_name": settings.legal_name if settings else "",
            "vat_number": settings.vat_number if settings else "",
            "footer": settings.footer if settings else "",
            "address": (reveal(settings, "address") or "") if settings else "",
        }
    )
    if form.validate_on_submit():
        try:
            changed = services.update_invoice_settings(
                g.shop,
                details=services.InvoiceDetails(
                    legal_name=form.legal_name.data or "",
                    vat_number=form.vat_number.data or "",
                    address=form.address.data or "",
                    footer=form.footer.data or "",
                ),
            )
        except InvoiceError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            db.session.commit()
            if changed:
                flash("Invoice details saved: documents issued from now on show them.", "success")
            else:
                flash("These invoice details were already saved: nothing changed.", "info")
            return redirect(url_for("invoices_admin.details"), 303)
    status = 422 if form.errors else 200
    return render_template("invoices/admin/details.html", form=form), status
