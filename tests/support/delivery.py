"""Digital products with files (and key pools), and paid orders of them, for delivery tests."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace
from uuid import UUID, uuid4

import sqlalchemy as sa

from mall.catalog.models import DigitalFile, ProductKind, ProductStatus
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.delivery.models import DownloadGrant
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import mark_order_paid
from mall.storage import random_key, storage
from tenants.context import tenant_context


def digital_product(shop, *, files: int = 1, price: int = 2500, title: str | None = None):
    """A published digital product of ``shop`` with ``files`` stored files (committed)."""
    token = uuid4().hex[:8]
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title=title or f"Font {token}",
                slug=f"font-{token}",
                kind=ProductKind.DIGITAL,
                status=ProductStatus.PUBLISHED,
                variants=[VariantInput(sku=f"FONT-{token}", price=price, track_stock=False)],
            )
        )
        variant = product.variants[0]
        contents = []
        for n in range(files):
            data = f"file {n} of {token}\n".encode() * 10
            key = random_key(f"digital/{shop.id}", ".zip")
            storage().save(key, data)
            row = DigitalFile(
                variant_id=variant.id,
                storage_key=key,
                filename=f"font-{n}.zip",
                content_type="application/zip",
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            db.session.add(row)
            db.session.flush()
            contents.append((row.id, data))
        made = SimpleNamespace(
            product_id=product.id,
            variant_id=variant.id,
            files=contents,
            file_ids=[file_id for file_id, _ in contents],
        )
        db.session.commit()
    return made


def unpaid_order(
    shop, variant_id: UUID, *, quantity: int = 1, email: str = "dora@example.com", user_id=None
):
    """An order of ``shop`` for ``quantity`` of the digital variant, awaiting payment."""
    from mall.catalog.models import Variant
    from tests.crawl.orders import place_order

    with tenant_context(shop):
        variant = db.session.get(Variant, (shop.id, variant_id))
        order = place_order(shop, variant=variant, quantity=quantity, email=email, hold=False)
        order.user_id = user_id
        order_id = order.id
        db.session.commit()
    return order_id


def pay(shop, order_id: UUID) -> None:
    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        assert mark_order_paid(order, note="Paid in the test.")
        db.session.commit()


def paid_order(shop, variant_id: UUID, **kw) -> UUID:
    """A paid order of the digital variant (granted by ``order_paid``); its id."""
    order_id = unpaid_order(shop, variant_id, **kw)
    pay(shop, order_id)
    return order_id


def grants_of(shop, order_id: UUID) -> list[DownloadGrant]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(
            db.session.scalars(
                sa.select(DownloadGrant)
                .where(DownloadGrant.order_id == order_id)
                .order_by(DownloadGrant.created_at)
            )
        )


def the_grant(shop, order_id: UUID) -> DownloadGrant:
    (grant,) = grants_of(shop, order_id)
    return grant


def file_links(html: str) -> list[str]:
    """The signed file links of a page, in order."""
    return re.findall(r'href="(/downloads/file/[^"]+)"', html)


def order_page_link(shop, order_id: UUID) -> str:
    from mall.delivery.tokens import order_token

    with tenant_context(shop):
        order = db.session.get(Order, (shop.id, order_id))
        return f"/downloads/order/{order_token(order)}"
