"""The audit log: who did what to which target, when, and from where (the IP sealed).

A building block of the tenancy core: operators' console actions, category
changes and jobs that act for the platform write here. Reading the log with
its actors (masked) is the console's business.
"""

from __future__ import annotations

from typing import Any, TypedDict
from uuid import UUID

from flask import has_request_context, request
from flask_login import current_user

from mall.extensions import db
from tenants.models import AuditEvent


class Actor(TypedDict):
    """The audit fields an action passes: who acted, and from which IP (sealed when stored)."""

    actor_id: UUID | None
    ip_address: str | None


def request_actor() -> Actor:
    """The signed-in user and the client's IP of the current request (nobody outside one)."""
    if not has_request_context():
        return {"actor_id": None, "ip_address": None}
    user_id = current_user.id if current_user.is_authenticated else None
    return {"actor_id": user_id, "ip_address": request.remote_addr}


def record_audit(
    action: str,
    *,
    actor_id: UUID | None,
    target_type: str,
    target_id: UUID | str | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit event; ``details`` are facts, never personal data."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
    )
    # Sealed under the platform key: the audit log keeps no readable IP at rest.
    event.ip_address = ip_address or None
    db.session.add(event)
    db.session.flush()
    return event
