"""Platform settings: one JSON value per key, set by operators, read by every layer above."""

from __future__ import annotations

from typing import Any

from mall.extensions import db
from tenants.models import PlatformSetting


def get_setting(key: str, default: Any = None) -> Any:
    """The stored value of ``key``, or ``default`` when it was never set."""
    row = db.session.get(PlatformSetting, key)
    return default if row is None else row.value


def put_setting(key: str, value: Any) -> None:
    """Store ``value`` under ``key`` (insert or replace); flushes."""
    db.session.merge(PlatformSetting(key=key, value=value))
    db.session.flush()
