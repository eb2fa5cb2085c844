"""How long a shop keeps the person in its order copies: its retention period, in years.

The platform's default is ``RETENTION_YEARS`` (``MALL_RETENTION_YEARS``, 7); a shop may
choose another between ``MIN_YEARS`` and ``MAX_YEARS`` on its settings page (its tax
rules may ask for more, or less). The choice is a platform setting keyed by the shop's
id (no personal data); a shop that never chose follows the default, even when it
changes. ``mall.accounts.retention`` reads every shop's period in one query.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.extensions import db
from tenants.models import PlatformSetting, Tenant
from tenants.services import ShopError
from tenants.settings import get_setting, put_setting

MIN_YEARS, MAX_YEARS = 1, 30
KEY_PREFIX = "shop-retention-years:"


class RetentionInvalid(ShopError):
    """A retention period out of the allowed range."""


def default_retention_years() -> int:
    """The platform's retention period (``MALL_RETENTION_YEARS``, default 7)."""
    return int(current_app.config.get("RETENTION_YEARS") or 7)


def _key(shop_id: UUID) -> str:
    return f"{KEY_PREFIX}{shop_id.hex}"


def _years(value: object) -> int | None:
    """A stored choice, if it is a whole number in range (anything else: the default)."""
    if isinstance(value, int) and not isinstance(value, bool) and MIN_YEARS <= value <= MAX_YEARS:
        return value
    return None


def shop_retention_years(shop_id: UUID) -> int:
    """The years the shop keeps the person in its orders (its choice, else the default)."""
    return _years(get_setting(_key(shop_id))) or default_retention_years()


def retention_years_by_shop() -> dict[UUID, int]:
    """Every shop that chose its own period, with it (one query; the others: the default)."""
    rows = db.session.execute(
        sa.select(PlatformSetting.key, PlatformSetting.value).where(
            PlatformSetting.key.startswith(KEY_PREFIX, autoescape=True)
        )
    ).all()
    chosen = {}
    for key, value in rows:
        years = _years(value)
        try:
            shop_id = UUID(hex=key.removeprefix(KEY_PREFIX))
        except ValueError:
            continue
        if years is not None:
            chosen[shop_id] = years
    return chosen


def set_retention_years(shop: Tenant, *, years: int) -> bool:
    """Set the shop's retention period; True when it changed (the same value again: False).

    Raises RetentionInvalid outside ``MIN_YEARS``..``MAX_YEARS``.
    """
    if (
        isinstance(years, bool)
        or not isinstance(years, int)
        or not (MIN_YEARS <= years <= MAX_YEARS)
    ):
        raise RetentionInvalid(
            f"The retention period is a whole number of years from {MIN_YEARS} to {MAX_YEARS}."
        )
    if years == shop_retention_years(shop.id):
        return False  # a shop that keeps the default keeps following it
    put_setting(_key(shop.id), years)
    return True
