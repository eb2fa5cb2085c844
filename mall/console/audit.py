"""Reading the audit log in the console: events with their actor and IP masked, their
targets named ("shop Green Thumb Garden Supply", "category Seeds") and their details
in words ("status: pending → active"), in a fixed number of queries per page."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.models import User
from mall.catalog.models import Category
from mall.extensions import db
from mall.pagination import Page
from tenants.keys import reveal
from tenants.keys.masking import mask_email
from tenants.models import AuditEvent, Tenant

ARROW = " → "
# How a detail's key reads; keys not listed read with their underscores as spaces.
DETAIL_LABELS = {
    "slug": "address",
    "grace_days": "grace period (days)",
    "shred_after": "data erased after",
    "key_versions_destroyed": "key versions destroyed",
    "auto_approve_shops": "approve new shops automatically",
    "shred_grace_days": "days before a closed shop's data is erased",
}
# What an empty value means for a key (a category without a parent is at the top level).
EMPTY_VALUES = {"parent": "top level"}


@dataclass(frozen=True)
class AuditRow:
    """An audit event as the console shows it: masked actor and IP, named target, details."""

    event: AuditEvent
    actor: str
    ip: str
    target: str = ""
    details: tuple[str, ...] = ()

    @property
    def shop_id(self) -> UUID | None:
        """The shop the event is about, when its target is a shop id."""
        if self.event.target_type != "shop":
            return None
        try:
            return UUID(self.event.target_id or "")
        except ValueError:
            return None


def _audit_rows(statement: sa.Select) -> list[AuditRow]:
    rows = db.session.execute(
        statement.add_columns(User).outerjoin(User, User.id == AuditEvent.actor_id)
    ).all()
    names = _target_names([event for event, _ in rows])
    return [
        AuditRow(
            event=event,
            actor=mask_email(reveal(user, "email")) if user is not None else "system",
            ip=mask_ip(event.ip_address) if event.ip_ct is not None else "—",
            target=describe_target(event, names),
            details=tuple(describe_details(event.action, event.details or {})),
        )
        for event, user in rows
    ]


def _target_names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """(target type, id) -> name for the shops and categories of these events (a query per type)."""
    models = {"shop": Tenant, "category": Category}
    wanted: dict[str, set[UUID]] = {kind: set() for kind in models}
    for event in events:
        if event.target_type in wanted:
            try:
                wanted[event.target_type].add(UUID(event.target_id or ""))
            except ValueError:
                continue
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if ids:
            model = models[kind]
            found = db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids)))
            names.update({(kind, str(row_id)): name for row_id, name in found})
    return names


def describe_target(event: AuditEvent, names: dict[tuple[str, str], str]) -> str:
    """``shop Green Thumb Garden Supply``; a deleted category by the name its event recorded."""
    kind, target_id = event.target_type, event.target_id or ""
    if kind == "settings":
        return "platform settings"
    name = names.get((kind, target_id))
    if name is None and kind in ("shop", "category"):
        recorded = (event.details or {}).get("name")
        if isinstance(recorded, dict):  # renamed: {"from": …, "to": …}
            recorded = recorded.get("to")
        name = str(recorded) if recorded else "(deleted)"
    if name is not None:
        return f"{kind} {name}"
    return f"{kind} {target_id}".strip()


def describe_details(action: str, details: dict[str, Any]) -> list[str]:
    """An event's details in words: ``status: pending → active``, ``commission: 10% → 12.5%``."""
    details = dict(details)
    lines = []
    if "from_bp" in details or "to_bp" in details:
        old, new = details.pop("from_bp", None), details.pop("to_bp", None)
        lines.append(f"commission: {_percent(old)}{ARROW}{_percent(new)}")
    if "from" in details and "to" in details:
        old, new = details.pop("from"), details.pop("to")
        if action == "category.moved":
            direction = details.pop("direction", "")
            lines.append(f"moved {direction}: position {_position(old)}{ARROW}{_position(new)}")
        else:
            lines.append(f"status: {_value('status', old)}{ARROW}{_value('status', new)}")
    changed = details.pop("changed", None)
    if isinstance(changed, dict):
        details.update(changed)
    for key, value in details.items():
        lines.append(f"{_label(key)}: {_value(key, value)}")
    return lines


def _label(key: str) -> str:
    return DETAIL_LABELS.get(key, key.replace("_", " "))


def _value(key: str, value: Any) -> str:
    if isinstance(value, dict) and ("from" in value or "to" in value):
        return f"{_value(key, value.get('from'))}{ARROW}{_value(key, value.get('to'))}"
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{_value(key, value[0])}{ARROW}{_value(key, value[1])}"
    if value is None or value == "":
        return EMPTY_VALUES.get(key, "none")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "shred_after" and isinstance(value, str):
        return value[:10]  # the day of an ISO timestamp
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)}: {_value(k, v)}" for k, v in value.items())
    return str(value)


def _percent(rate_bp: Any) -> str:
    if not isinstance(rate_bp, int):
        return "none"
    whole, cents = divmod(rate_bp, 100)
    return (f"{whole}.{cents:02d}".rstrip("0").rstrip(".") if cents else str(whole)) + "%"


def _position(index: Any) -> str:
    return str(index + 1) if isinstance(index, int) else str(index)


def list_audit(*, page: int = 1, per_page: int = 50) -> Page:
    """The audit log, newest first (two queries whatever the page size)."""
    page = max(1, page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0
    items = _audit_rows(
        sa.select(AuditEvent)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


def shop_audit(shop: Tenant, *, limit: int = 20) -> list[AuditRow]:
    """The most recent audit events about one shop."""
    return _audit_rows(
        sa.select(AuditEvent)
        .where(AuditEvent.target_type == "shop", AuditEvent.target_id == str(shop.id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )


def mask_ip(value: str) -> str:
    """``203.0.113.7`` -> ``203.0.113.x``; IPv6 keeps its /48 (``2001:db8:1::/48``)."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(str(address).split(".")[:3]) + ".x"
    groups = [format(int(part, 16), "x") for part in address.exploded.split(":")[:3]]
    return ":".join(groups) + "::/48"
