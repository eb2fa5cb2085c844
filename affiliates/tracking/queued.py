"""Queued clicks into ``affiliate_clicks`` (``buffer``'s entries; the job ``flush_clicks``).

Three statements a batch, whatever its size: which of the entries' affiliates are
approved now (a click of an affiliate suspended since is not kept, as the direct INSERT
would not have kept it), the shops of the pages reached by slug, and one multi-row INSERT
that skips an id already stored, so a batch stored twice (a drainer that stopped between
its commit and removing the entries) is stored once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from affiliates.models import Affiliate, AffiliateClick, AffiliateStatus, AgentClass
from affiliates.models.tracking import HOST_MAX, PATH_MAX
from mall.extensions import db
from tenants.models import Tenant


def store_queued(entries: list[dict[str, Any]]) -> int:
    """Insert the clicks of ``entries`` not stored yet; how many entries were kept (an
    unreadable entry, or one of an affiliate no longer approved, is left out)."""
    clicks = [click for click in map(_read, entries) if click is not None]
    if not clicks:
        return 0
    approved = set(
        db.session.scalars(
            sa.select(Affiliate.id).where(
                Affiliate.id.in_({click["affiliate_id"] for click in clicks}),
                Affiliate.status == AffiliateStatus.APPROVED,
            )
        )
    )
    clicks = [click for click in clicks if click["affiliate_id"] in approved]
    slugs = {click["slug"] for click in clicks if click["slug"]}
    shops = (
        dict(
            db.session.execute(
                sa.select(Tenant.slug, Tenant.id).where(Tenant.slug.in_(slugs))
            ).all()
        )
        if slugs
        else {}
    )
    rows = [_row(click, shops) for click in clicks]
    if rows:
        db.session.execute(_insert_ignoring_repeats(), rows)
    return len(rows)


def _read(entry: dict[str, Any]) -> dict[str, Any] | None:
    """An entry's click as columns, or None when it is not a click this code queued."""
    try:
        return {
            "id": UUID(hex=entry["id"]),
            "affiliate_id": UUID(hex=entry["a"]),
            "clicked_at": datetime.fromisoformat(entry["t"]),
            "shop_id": UUID(hex=entry["s"]) if entry.get("s") else None,
            "slug": entry.get("g") or None,
            "landing_path": str(entry.get("p") or "/")[:PATH_MAX],
            "referrer_host": str(entry.get("r") or "")[:HOST_MAX],
            "ip_index": bytes.fromhex(entry["i"]) if entry.get("i") else None,
            "agent": AgentClass(entry.get("k") or AgentClass.OTHER.value),
        }
    except (KeyError, TypeError, ValueError):
        return None


def _row(click: dict[str, Any], shops: dict[str, UUID]) -> dict[str, Any]:
    """The click's columns, its shop found by slug when it came without an id."""
    slug = click.pop("slug")
    return {**click, "shop_id": click["shop_id"] or shops.get(slug or "")}


def _insert_ignoring_repeats() -> Any:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(AffiliateClick).on_conflict_do_nothing(index_elements=["id"])
