"""The purchase order's email to its vendor, sent by a job after the commit that sent it.

The job receives ids only (the PO's id and the link version it was sent under); it
opens the PO in its shop's context (``mall.jobs`` enters it) and reads the vendor's
sealed email address there, at send time. A job whose version is no longer the PO's
(it was sent again meanwhile) does nothing: the newer job mails the current link.
"""

from __future__ import annotations

from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from tenants.guard import scoped_get
from tenants.keys import ERASED, UNREADABLE
from tenants.models import Tenant
from vendors.models import PurchaseOrder
from vendors.purchasing.rendering import pdf_filename, po_html, po_pdf, po_view
from vendors.vendor_link.tokens import vendor_link_url


@job(queue="mail")
def send_po_email(po_id: str, link_version: int) -> None:
    """Mail the PO to its vendor: the PO as HTML body and PDF attachment, and the vendor link."""
    po = scoped_get(PurchaseOrder, po_id)
    if po is None or po.link_version != int(link_version):
        return
    view = po_view(po)
    to = view.vendor.email
    if not to or to in (ERASED, UNREADABLE):
        return
    resent = po.link_version > 1
    link = vendor_link_url(po)
    shop = db.session.get(Tenant, po.tenant_id)
    subject = f"Purchase order {po.number} from {shop.name}"
    message = render_message(
        "vendors/purchasing/email/purchase_order",
        to=to,
        subject=subject,
        shop_name=shop.name,
        number=po.number,
        po=po,
        lines=view.lines,
        total=view.total,
        money=view.money,
        link=link,
        resent=resent,
        document_html=po_html(po, pdf=True, vendor_link=link, resent=resent),
    )
    message.add_attachment(
        po_pdf(po), maintype="application", subtype="pdf", filename=pdf_filename(po)
    )
    deliver(message)
