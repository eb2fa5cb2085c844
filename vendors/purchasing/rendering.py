"""A purchase order as HTML and as PDF, from the one template ``vendors/purchasing/document.html``.

The same page is the email's body, the vendor's PDF attachment, the shop's download
and (h3) what the vendor link shows. The PDF is WeasyPrint's rendering of it, as
``mall.invoices.rendering`` does (imported when a PDF is made; every URL refused).
A drop-ship PO shows the sealed ship-to address; a stock PO the shop's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template

from mall.extensions import db
from mall.invoices.rendering import STYLESHEET, private_response
from mall.money import format_money
from tenants.guard import scoped_get
from tenants.keys import ERASED, UNREADABLE, reveal
from tenants.models import Tenant
from vendors.models import PurchaseOrder, PurchaseOrderLine, Vendor


@dataclass(frozen=True)
class PoView:
    """What the template shows: the PO, its lines, vendor, shop and opened ship-to."""

    po: PurchaseOrder
    lines: list[PurchaseOrderLine]
    vendor: Vendor
    shop: Tenant
    ship_to: dict[str, Any]

    @property
    def title(self) -> str:
        return f"Purchase order {self.po.number}"

    @property
    def total(self) -> int:
        return sum(line.quantity_ordered * line.unit_cost for line in self.lines)

    def money(self, minor: int) -> str:
        return format_money(minor, code=self.po.currency)


def po_view(po: PurchaseOrder, lines: list[PurchaseOrderLine] | None = None) -> PoView:
    """The PO ready for the template (``lines``: only those, e.g. one vendor's)."""
    return PoView(
        po=po,
        lines=list(po.lines) if lines is None else lines,
        vendor=scoped_get(Vendor, po.vendor_id),
        shop=db.session.get(Tenant, po.tenant_id),
        ship_to=_ship_to(po),
    )


def _ship_to(po: PurchaseOrder) -> dict[str, Any]:
    value = reveal(po, "ship_to_json")
    if value is None:
        return {}
    if value in (ERASED, UNREADABLE):
        return {"name": value, "address": []}
    opened = json.loads(value)
    return opened if isinstance(opened, dict) else {}


def po_html(
    po: PurchaseOrder,
    *,
    pdf: bool = False,
    back_url: str | None = None,
    pdf_url: str | None = None,
    vendor_link: str | None = None,
    resent: bool = False,
) -> str:
    """The PO as a page of its own (``back_url``, ``pdf_url``: its page's two links;
    ``vendor_link``, ``resent``: the email's closing section)."""
    return render_template(
        "vendors/purchasing/document.html",
        view=po_view(po),
        pdf=pdf,
        back_url=back_url,
        pdf_url=pdf_url,
        vendor_link=vendor_link,
        resent=resent,
    )


def po_pdf(po: PurchaseOrder) -> bytes:
    """The PO as PDF bytes (WeasyPrint, from the same template)."""
    import weasyprint  # needs Pango: only where PDFs are made

    html = po_html(po, pdf=True)
    fetcher = weasyprint.URLFetcher(allowed_protocols=frozenset())
    stylesheet = weasyprint.CSS(filename=str(STYLESHEET), url_fetcher=fetcher)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])


def pdf_filename(po: PurchaseOrder) -> str:
    """``ACME-PO-7.pdf``: the number only (letters, digits and hyphens)."""
    safe = "".join(char for char in po.number if char.isalnum() or char == "-")
    return f"{safe or 'purchase-order'}.pdf"


def pdf_response(po: PurchaseOrder) -> Response:
    """The PO's PDF as a download named after its number (never cached)."""
    response = private_response(po_pdf(po), "application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(po)}"'
    return response


def html_response(po: PurchaseOrder, *, back_url: str, pdf_url: str) -> Response:
    """The PO as a printable page (never cached: a drop-ship PO names the customer)."""
    return private_response(po_html(po, back_url=back_url, pdf_url=pdf_url), "text/html")
