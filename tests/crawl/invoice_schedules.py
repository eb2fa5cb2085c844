"""Recurring invoices: the shop's schedules, "Make recurring" on an invoice, Stop (back office)."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "invoice_schedules.schedules",
    "invoice_schedules.new",
    "invoice_schedules.detail",
    "invoice_schedules.stop",
}


def issued_invoice(shop, *, email: str = "dora@example.com", name: str = "Dora Diaz", by=None):
    """An issued (sent) invoice of ``shop`` for one unit of a new product (committed); its id."""
    from mall.catalog import services as catalog
    from mall.orders.entry.lifecycle import issue_invoice
    from mall.orders.entry.models import SalesKind
    from mall.orders.entry.pricing import LineInput
    from mall.orders.entry.services import CustomerInput, DocumentInput, create_document
    from tenants.context import tenant_context

    with tenant_context(shop):
        sku = f"REC-{uuid4().hex[:10]}"
        catalog.create_product(
            catalog.ProductInput(
                title=f"Service plan {sku}", variants=[catalog.VariantInput(sku=sku, price=4900)]
            )
        )
        document, _ = create_document(
            DocumentInput(
                kind=SalesKind.INVOICE,
                customer=CustomerInput(email=email, name=name),
                lines=[LineInput(sku=sku, quantity=1)],
            ),
            shop=shop,
            actor_id=by,
            request_key=uuid4().hex,
        )
        assert issue_invoice(document, actor_id=by)
        db.session.commit()
        return document.id


def make_schedule(shop):
    """A monthly schedule of an issued invoice of ``shop`` (committed); its id."""
    from datetime import timedelta

    from mall.db import utcnow
    from mall.orders.entry.models import SalesDocument, ScheduleEvery
    from mall.orders.entry.recurring import make_recurring
    from tenants.context import tenant_context

    document_id = issued_invoice(shop)
    with tenant_context(shop):
        schedule = make_recurring(
            db.session.get(SalesDocument, (shop.id, document_id)),
            every=ScheduleEvery.MONTH,
            first_on=utcnow().date() + timedelta(days=1),
            stop_after=None,
            actor_id=None,
        )
        db.session.commit()
        return schedule.id


OBJECT_IDS = {"schedule_id": make_schedule, "template_id": issued_invoice}
