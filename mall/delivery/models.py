"""Digital delivery: download grants per order line, their counters and log, licence keys.

Every row belongs to the shop that sold (``TenantScoped``, row-level security).
A grant is made once per digital order line when the order is paid; its expiry
and download limit come from the product's policy or the shop's defaults and
are copied onto the grant, so a later change of policy never alters a sale.
Downloads are counted per grant and file (``download_counters``), never per
product. The IP address of each download is personal data: sealed under the
shop's key. Licence keys are sealed too, with a blind index that refuses the
same key twice in a pool.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mall.db import Timestamped, str_enum, utcnow
from mall.extensions import db
from tenants.keys import EncryptedField
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique

DEFAULT_EXPIRY_DAYS = 30
DEFAULT_DOWNLOAD_LIMIT = 5
DEFAULT_LOW_POOL = 5


def normalise_key(value: str) -> str:
    """Licence keys compare without surrounding spaces (letter case matters)."""
    return value.strip()


class DeliverySettings(TenantScoped, Timestamped, db.Model):
    """A shop's defaults for its digital products (one row per shop, made when first saved)."""

    __tablename__ = "delivery_settings"

    expiry_days: Mapped[int] = mapped_column(default=DEFAULT_EXPIRY_DAYS)  # 0: never expires
    download_limit: Mapped[int] = mapped_column(default=DEFAULT_DOWNLOAD_LIMIT)  # 0: no limit
    low_pool_threshold: Mapped[int] = mapped_column(default=DEFAULT_LOW_POOL)

    __table_args__ = (
        tenant_unique(name="uq_delivery_settings_tenant_id"),
        sa.CheckConstraint("expiry_days >= 0", name="expiry_days_not_negative"),
        sa.CheckConstraint("download_limit >= 0", name="download_limit_not_negative"),
        sa.CheckConstraint("low_pool_threshold >= 0", name="low_pool_threshold_not_negative"),
    )


class DeliveryPolicy(TenantScoped, Timestamped, db.Model):
    """A product's own expiry and download limit (None: the shop's default)."""

    __tablename__ = "delivery_policies"

    product_id: Mapped[UUID]
    expiry_days: Mapped[int | None]
    download_limit: Mapped[int | None]

    __table_args__ = (
        tenant_fk(["product_id"], "products", ondelete="CASCADE"),
        tenant_unique("product_id"),
    )


class GrantStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # refunded, charged back, or withdrawn by the shop


class DownloadGrant(TenantScoped, Timestamped, db.Model):
    """The buyer's access to one digital order line: its files and licence keys."""

    __tablename__ = "download_grants"

    order_id: Mapped[UUID]
    order_line_id: Mapped[UUID]
    product_id: Mapped[UUID]  # no foreign key: the product may be deleted later
    variant_id: Mapped[UUID]
    # The buyer's account, when they were signed in (their /account/downloads lists it).
    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[GrantStatus] = mapped_column(str_enum(GrantStatus), default=GrantStatus.ACTIVE)
    expires_at: Mapped[datetime | None]  # None: never
    download_limit: Mapped[int] = mapped_column(default=0)  # per file; 0: no limit
    keys_needed: Mapped[int] = mapped_column(default=0)  # one per unit when the variant has a pool
    keys_issued: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # The last 20 staff forms applied (re-grant, extend), newest first, space-separated:
    # each form acts once, however often it is posted.
    action_key: Mapped[str] = mapped_column(sa.String(659), default="")

    __table_args__ = (
        tenant_fk(["order_id"], "orders", ondelete="CASCADE"),
        tenant_fk(["order_line_id"], "order_lines", ondelete="CASCADE"),
        tenant_unique("order_line_id"),  # one grant per line, however often payment is announced
        sa.Index("ix_download_grants_tenant_id_order_id", "tenant_id", "order_id"),
        sa.Index("ix_download_grants_tenant_id_variant_id", "tenant_id", "variant_id"),
        sa.Index("ix_download_grants_user_id_created_at", "user_id", "created_at"),
        sa.CheckConstraint("download_limit >= 0", name="download_limit_not_negative"),
        sa.CheckConstraint("keys_issued <= keys_needed", name="keys_within_need"),
    )

    @property
    def waiting_for_keys(self) -> int:
        """How many licence keys this line still waits for (an empty pool)."""
        if self.status is not GrantStatus.ACTIVE:
            return 0
        return max(self.keys_needed - self.keys_issued, 0)


class DownloadCounter(TenantScoped, db.Model):
    """How often one file was downloaded through one grant."""

    __tablename__ = "download_counters"

    grant_id: Mapped[UUID]
    file_id: Mapped[UUID]
    used: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        tenant_fk(["grant_id"], "download_grants", ondelete="CASCADE"),
        tenant_fk(["file_id"], "digital_files", ondelete="CASCADE"),
        tenant_unique("grant_id", "file_id"),
        sa.CheckConstraint("used >= 0", name="used_not_negative"),
    )


class DownloadEvent(TenantScoped, db.Model):
    """One download: which grant and file, when, from which (sealed) IP address."""

    __tablename__ = "download_events"

    grant_id: Mapped[UUID]
    file_id: Mapped[UUID]  # no foreign key: the log outlives a removed file
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_ct: Mapped[bytes | None] = mapped_column("ip_address", sa.LargeBinary)

    ip_address = EncryptedField("ip_ct")

    __table_args__ = (
        tenant_fk(["grant_id"], "download_grants", ondelete="CASCADE"),
        sa.Index("ix_download_events_tenant_id_grant_id", "tenant_id", "grant_id"),
        sa.Index("ix_download_events_created_at", "created_at"),  # the retention sweep
    )


class KeyPool(TenantScoped, Timestamped, db.Model):
    """A variant's licence keys; the shop is warned once each time it runs low."""

    __tablename__ = "licence_key_pools"

    variant_id: Mapped[UUID]  # no foreign key: issued keys outlive a removed variant
    low_threshold: Mapped[int | None]  # None: the shop's default
    low_warned_at: Mapped[datetime | None]  # set when warned, cleared when refilled

    __table_args__ = (tenant_unique("variant_id"),)


class KeyStatus(StrEnum):
    AVAILABLE = "available"
    ISSUED = "issued"
    REVOKED = "revoked"  # its sale was refunded or charged back: never issued again


class LicenceKey(TenantScoped, db.Model):
    """One licence key of a pool, sealed; issued to exactly one grant, at most once."""

    __tablename__ = "licence_keys"

    pool_id: Mapped[UUID]
    key_ct: Mapped[bytes] = mapped_column("key", sa.LargeBinary)
    key_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus), default=KeyStatus.AVAILABLE)
    grant_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    key = EncryptedField("key_ct", index="key_index", normalise=normalise_key)

    __table_args__ = (
        tenant_fk(["pool_id"], "licence_key_pools", ondelete="CASCADE"),
        tenant_unique("pool_id", "key_index"),
        sa.Index("ix_licence_keys_pool", "tenant_id", "pool_id", "status", "created_at"),
        sa.Index("ix_licence_keys_tenant_id_grant_id", "tenant_id", "grant_id"),
    )
