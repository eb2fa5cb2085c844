"""An invoice or credit note as HTML and as PDF, from the one template ``invoices/document.html``.

The PDF is WeasyPrint's rendering of the same HTML (``pdf=True`` leaves out the
page's stylesheet link and links back; the stylesheet is handed to WeasyPrint
from disk). WeasyPrint needs Pango (see the README); it is imported when a PDF
is made, so the app starts without it. It fetches nothing: every URL is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, render_template

from mall.invoices.models import DocumentKind, Invoice
from mall.money import format_money
from tenants.keys import ERASED, UNREADABLE, reveal

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "invoice.css"
TITLES = {DocumentKind.INVOICE: "Invoice", DocumentKind.CREDIT_NOTE: "Credit note"}


@dataclass(frozen=True)
class DocumentView:
    """What the template shows: the document, its snapshot and its opened parties."""

    document: Invoice
    data: dict[str, Any]
    buyer: dict[str, Any]
    seller: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{TITLES[self.document.kind]} {self.document.number}"

    @property
    def is_credit_note(self) -> bool:
        return self.document.kind is DocumentKind.CREDIT_NOTE

    def money(self, minor: int) -> str:
        return format_money(minor, code=self.document.currency)


def _opened(document: Invoice, name: str) -> dict[str, Any]:
    """A sealed JSON field, opened; a shredded or broken one shows as ``[erased]``."""
    value = reveal(document, name)
    if value is None:
        return {}
    if value in (ERASED, UNREADABLE):
        return {"name": value, "address": [], "email": ""}
    return json.loads(value)


def document_view(document: Invoice) -> DocumentView:
    """The document ready for the template."""
    return DocumentView(
        document=document,
        data=document.snapshot,
        buyer=_opened(document, "buyer_json"),
        seller=_opened(document, "seller_json"),
    )


def document_html(
    document: Invoice,
    *,
    pdf: bool = False,
    back_url: str | None = None,
    pdf_url: str | None = None,
) -> str:
    """The document as a page of its own (``back_url``, ``pdf_url``: its page's two links)."""
    return render_template(
        "invoices/document.html",
        view=document_view(document),
        pdf=pdf,
        back_url=back_url,
        pdf_url=pdf_url,
    )


def document_pdf(document: Invoice) -> bytes:
    """The document as PDF bytes (WeasyPrint, from the same template)."""
    import weasyprint  # needs Pango: only where PDFs are made

    html = document_html(document, pdf=True)
    fetcher = weasyprint.URLFetcher(allowed_protocols=frozenset())
    stylesheet = weasyprint.CSS(filename=str(STYLESHEET), url_fetcher=fetcher)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])


def pdf_filename(document: Invoice) -> str:
    """``ACME-INV-7.pdf``: the number only (letters, digits and hyphens)."""
    safe = "".join(char for char in document.number if char.isalnum() or char == "-")
    return f"{safe or 'document'}.pdf"


def private_response(body: str | bytes, mimetype: str) -> Response:
    """A document's response: never kept by a cache nor indexed (it names the buyer)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def pdf_response(document: Invoice) -> Response:
    """The document's PDF as a download named after its number."""
    response = private_response(document_pdf(document), "application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
    return response
