"""Reading the audit log in the console: events with their actor and IP masked."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.models import User
from mall.extensions import db
from mall.pagination import Page
from tenants.keys.masking import mask_email
from tenants.models import AuditEvent, Tenant


@dataclass(frozen=True)
class AuditRow:
    """An audit event as the console shows it: masked actor and IP."""

    event: AuditEvent
    actor: str
    ip: str

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
    return [
        AuditRow(
            event=event,
            actor=mask_email(user.email) if user is not None else "system",
            ip=mask_ip(event.ip_address) if event.ip_ct is not None else "—",
        )
        for event, user in rows
    ]


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
