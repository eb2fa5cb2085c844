"""The demo's digital delivery: a licence key pool at Pixel Forge and a digital order the demo
customer can download from (its one download logged with a sealed IP address).

Made only when missing, like the rest of the demo.
"""

from __future__ import annotations

import sqlalchemy as sa

from mall.accounts.services import find_user_by_email
from mall.catalog.models import DigitalFile, Product, Variant
from mall.delivery import key_imports, keys
from mall.delivery.downloads import take_download
from mall.delivery.models import DownloadEvent, DownloadGrant
from mall.demo.money import demo_order, demo_token
from mall.demo.selling import CUSTOMER, place_demo_order
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import Tenant

SHOP = "pixel-forge"
PRODUCT = "gridline-mono-font"
DEMO_KEYS = tuple(f"GRIDLINE-DEMO-{n:04d}" for n in range(1, 7))
# The demo download's IP address: personal data, so the dump test looks for it.
DEMO_DOWNLOAD_IP = "192.0.2.77"


def seed_delivery(shops: dict[str, Tenant]) -> list[str]:
    """A key pool for Gridline Mono Font and the demo customer's paid order of it, once."""
    shop = shops.get(SHOP)
    customer = find_user_by_email(CUSTOMER)
    if shop is None or customer is None:
        return []
    with tenant_context(shop):
        variant = db.session.scalar(
            sa.select(Variant).join(Variant.product).where(Product.slug == PRODUCT).limit(1)
        )
        if variant is None:
            return []
        if keys.get_pool(variant) is None:
            key_imports.set_low_threshold(key_imports.ensure_pool(variant), threshold=1)
            key_imports.import_keys(variant, "\n".join(DEMO_KEYS).encode())
    if demo_order("digital") is None:
        place_demo_order(customer, [(variant, 1)], "test", token=demo_token("digital"))
    order = demo_order("digital")
    if order is None:
        return []
    with tenant_context(shop):
        grant = db.session.scalar(
            sa.select(DownloadGrant).where(DownloadGrant.order_id == order.id)
        )
        file = db.session.scalar(sa.select(DigitalFile).where(DigitalFile.variant_id == variant.id))
        logged = grant is not None and db.session.scalar(
            sa.select(DownloadEvent.id).where(DownloadEvent.grant_id == grant.id).limit(1)
        )
        if grant is not None and file is not None and not logged:
            take_download(grant, file, ip=DEMO_DOWNLOAD_IP)
    return [
        f"  order {order.number} at {SHOP}: a digital order of the demo customer, "
        "downloadable from /account/downloads"
    ]
