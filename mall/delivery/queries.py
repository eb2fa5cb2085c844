"""What the delivery pages and emails show: grants with their files, counters and keys.

A constant number of queries whatever the number of grants, files or keys
(grants, lines, files, counters, keys: one each). ``customer_downloads`` reads
one customer's grants across shops (``all_tenants``): a signed-in customer's
own purchases, found by their account id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import contains_eager

from mall.catalog.models import DigitalFile, Product, ProductKind, Variant
from mall.delivery import keys as key_pools
from mall.delivery.downloads import grant_state
from mall.delivery.models import DownloadCounter, DownloadGrant, GrantStatus, LicenceKey
from mall.delivery.tokens import file_token, order_token
from mall.extensions import db
from mall.orders.models import Order, OrderLine
from mall.pagination import Page, paginate
from mall.urls import external_url
from tenants.context import all_tenants
from tenants.keys import reveal
from tenants.models import Tenant


@dataclass
class FileRow:
    """One file of a grant: how often it was downloaded, what is left, its signed link."""

    file: DigitalFile
    used: int
    left: int | None  # None: no limit
    url: str | None = None


@dataclass
class GrantRow:
    """One grant as a page shows it."""

    grant: DownloadGrant
    line: OrderLine | None
    state: str  # active, expired, revoked
    files: list[FileRow] = field(default_factory=list)
    keys: list[tuple[str, LicenceKey]] = field(default_factory=list)  # (shown value, key)
    order: Order | None = None
    shop: Tenant | None = None
    order_url: str | None = None

    @property
    def title(self) -> str:
        if self.line is None:
            return "Removed item"
        return f"{self.line.title} ({self.line.options})" if self.line.options else self.line.title

    @property
    def waiting(self) -> int:
        return self.grant.waiting_for_keys

    @property
    def expires_at(self) -> datetime | None:
        return self.grant.expires_at


def order_downloads(
    order: Order, *, links: bool = False, absolute: bool = True, show_keys: bool = True
) -> list[GrantRow]:
    """The order's grants with files, counters and keys (in the order's shop context).

    ``links``: signed file links for an active grant (absolute for emails).
    """
    grants = list(
        db.session.scalars(
            sa.select(DownloadGrant)
            .where(DownloadGrant.order_id == order.id)
            .order_by(DownloadGrant.created_at, DownloadGrant.id)
        )
    )
    return _rows(grants, links=links, absolute=absolute, show_keys=show_keys)


def customer_downloads(user_id: UUID, *, page: int, per_page: int = 20) -> Page:
    """One customer's grants in every shop, newest first, one page (items are GrantRows)."""
    with all_tenants("delivery: a signed-in customer's own download grants (by account id)"):
        found = paginate(
            sa.select(DownloadGrant)
            .where(DownloadGrant.user_id == user_id)
            .order_by(DownloadGrant.created_at.desc(), DownloadGrant.id.desc()),
            page=page,
            per_page=per_page,
        )
        rows = _rows(found.items, links=True, absolute=False, show_keys=True)
        orders = {
            (o.tenant_id, o.id): o
            for o in db.session.scalars(
                sa.select(Order).where(Order.id.in_(sorted({g.order_id for g in found.items})))
            )
        }
        shops = {
            shop.id: shop
            for shop in db.session.scalars(
                sa.select(Tenant).where(Tenant.id.in_(sorted({g.tenant_id for g in found.items})))
            )
        }
    for row in rows:
        row.order = orders.get((row.grant.tenant_id, row.grant.order_id))
        row.shop = shops.get(row.grant.tenant_id)
        if row.order is not None:
            row.order_url = url_for("delivery.order_page", token=order_token(row.order))
    return Page(items=rows, page=found.page, per_page=found.per_page, total=found.total)


def _rows(
    grants: list[DownloadGrant], *, links: bool, absolute: bool, show_keys: bool
) -> list[GrantRow]:
    if not grants:
        return []
    line_ids = sorted({grant.order_line_id for grant in grants})
    lines = {
        (line.tenant_id, line.id): line
        for line in db.session.scalars(sa.select(OrderLine).where(OrderLine.id.in_(line_ids)))
    }
    variant_ids = sorted({grant.variant_id for grant in grants})
    files: dict[tuple[UUID, UUID], list[DigitalFile]] = {}
    for file in db.session.scalars(
        sa.select(DigitalFile)
        .where(DigitalFile.variant_id.in_(variant_ids))
        .order_by(DigitalFile.created_at, DigitalFile.id)
    ):
        files.setdefault((file.tenant_id, file.variant_id), []).append(file)
    used = {
        (row.grant_id, row.file_id): row.used
        for row in db.session.scalars(
            sa.select(DownloadCounter).where(
                DownloadCounter.grant_id.in_(sorted({grant.id for grant in grants}))
            )
        )
    }
    issued = key_pools.keys_of(grants)
    rows = []
    for grant in grants:
        state = grant_state(grant)
        row = GrantRow(
            grant=grant, line=lines.get((grant.tenant_id, grant.order_line_id)), state=state
        )
        for file in files.get((grant.tenant_id, grant.variant_id), []):
            count = used.get((grant.id, file.id), 0)
            left = max(grant.download_limit - count, 0) if grant.download_limit else None
            url = None
            if links and state == "active" and left != 0:
                url = _file_url(grant, file, absolute=absolute)
            row.files.append(FileRow(file=file, used=count, left=left, url=url))
        for key in issued.get(grant.id, []):
            row.keys.append((reveal(key, "key") if show_keys else "", key))
        rows.append(row)
    return rows


def _file_url(grant: DownloadGrant, file: DigitalFile, *, absolute: bool) -> str:
    token = file_token(grant, file.id)
    if absolute:
        return external_url("delivery.download", token=token)
    return url_for("delivery.download", token=token)


def digital_variants(*, page: int, per_page: int) -> Page:
    """The shop's digital variants (with their product), by product title: one page."""
    return paginate(
        sa.select(Variant)
        .join(
            Product,
            sa.and_(Product.tenant_id == Variant.tenant_id, Product.id == Variant.product_id),
        )
        .where(Product.kind == ProductKind.DIGITAL)
        .order_by(Product.title, Variant.position, Variant.id)
        .options(contains_eager(Variant.product)),
        page=page,
        per_page=per_page,
    )


def pool_keys(pool_id: UUID, *, page: int, per_page: int) -> Page:
    """One page of a licence key pool's keys, newest first."""
    return paginate(
        sa.select(LicenceKey)
        .where(LicenceKey.pool_id == pool_id)
        .order_by(LicenceKey.created_at.desc(), LicenceKey.id.desc()),
        page=page,
        per_page=per_page,
    )


def tracking_page_link(order: Order) -> tuple[str, str] | None:
    """The order's downloads page, for its tracking page, when the order has download grants
    (``mall.orders.tracking.add_page_link``; in the order's shop context)."""
    granted = db.session.scalar(
        sa.select(DownloadGrant.id).where(DownloadGrant.order_id == order.id).limit(1)
    )
    if granted is None:
        return None
    url = url_for("delivery.order_page", token=order_token(order))
    return "Your downloads and licence keys", url


WAITING_FOR_KEY = "Waiting for a licence key"


def key_holds(orders: Sequence[Order]) -> dict[UUID, str]:
    """The orders (of the shop in context) still owed a licence key: held back from
    "fulfilled" (``mall.orders.status.add_fulfilment_hold``); one query."""
    ids = sorted({order.id for order in orders})
    if not ids:
        return {}
    waiting = db.session.scalars(
        sa.select(DownloadGrant.order_id)
        .where(
            DownloadGrant.order_id.in_(ids),
            DownloadGrant.status == GrantStatus.ACTIVE,
            DownloadGrant.keys_issued < DownloadGrant.keys_needed,
        )
        .distinct()
    )
    return {order_id: WAITING_FOR_KEY for order_id in waiting}
