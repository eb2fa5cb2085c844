"""What each role may do in a shop's back office, enforced in one place.

| permission        | owner | manager | staff | sales rep | allows                          |
|-------------------|:-----:|:-------:|:-----:|:---------:|---------------------------------|
| shop.view         |   x   |    x    |   x   |     x     | the back office dashboard       |
| shop.settings     |   x   |    x    |       |           | name, description, logo, rules  |
| staff.view        |   x   |    x    |       |           | the staff list and invitations  |
| staff.manage      |   x   |         |       |           | invite, change roles, remove    |
| catalog.manage    |   x   |    x    |   x   |           | products, variants, stock       |
| orders.view       |   x   |    x    |   x   |     x     | see orders                      |
| orders.enter      |   x   |    x    |   x   |     x     | enter phone orders              |
| orders.manage     |   x   |    x    |   x   |           | fulfil, cancel, refund          |
| invoices.manage   |   x   |    x    |       |     x     | send invoices                   |
| purchasing.manage |   x   |    x    |       |           | vendors, purchase orders        |
| bills.pay         |   x   |         |       |           | pay vendor bills                |
| payouts.view      |   x   |    x    |       |           | the Money page: balances,       |
|                   |       |         |       |           | statement, payouts, commission  |
| customers.view    |   x   |    x    |   x   |     x     | customers: totals, notes, tags  |
| customers.export  |   x   |    x    |       |           | the customers CSV               |
| messages.answer   |   x   |    x    |   x   |     x     | threads assigned to them or     |
|                   |       |         |       |           | unassigned: answer, take, close |
| messages.all      |   x   |    x    |       |           | every thread; assign to anyone  |

The admin gate admits a shop's members only (others: 404, so a shop's
existence in the back office is not revealed; anonymous: sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.models import Tenant

ALL = frozenset(
    {
        "shop.view",
        "shop.settings",
        "staff.view",
        "staff.manage",
        "catalog.manage",
        "orders.view",
        "orders.enter",
        "orders.manage",
        "invoices.manage",
        "purchasing.manage",
        "bills.pay",
        "payouts.view",
        "customers.view",
        "customers.export",
        "messages.answer",
        "messages.all",
    }
)
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OWNER: ALL,
    Role.MANAGER: ALL - {"staff.manage", "bills.pay"},
    Role.STAFF: frozenset(
        {
            "shop.view",
            "catalog.manage",
            "orders.view",
            "orders.enter",
            "orders.manage",
            "customers.view",
            "messages.answer",
        }
    ),
    Role.SALES_REP: frozenset(
        {
            "shop.view",
            "orders.view",
            "orders.enter",
            "invoices.manage",
            "customers.view",
            "messages.answer",
        }
    ),
}


def can(role: Role | None, permission: str) -> bool:
    """True when ``role`` includes ``permission``."""
    if permission not in ALL:
        raise KeyError(f"unknown permission {permission!r}")
    return role is not None and permission in PERMISSIONS[role]


def membership_of(user_id: Any, tenant_id: Any) -> Membership | None:
    """The user's membership of the shop, or None."""
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user_id, Membership.tenant_id == tenant_id
        )
    )


def memberships_of(user_id: Any) -> list[Membership]:
    """The user's memberships with their shops (one query), by shop name."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.tenant)
            .options(contains_eager(Membership.tenant))
            .where(Membership.user_id == user_id)
            .order_by(Tenant.name, Tenant.id)
        )
    )


def admit_members(shop: Tenant) -> Any:
    """The admin gate: members enter (their membership in ``g.membership``).

    The member's shops are read whole, once: the account menu of every back-office page
    lists them (``g.my_shops``), and this shop's membership is among them.
    """
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    memberships = memberships_of(current_user.id)
    membership = next((m for m in memberships if m.tenant_id == shop.id), None)
    if membership is None:
        abort(404)
    g.membership = membership
    g.my_shops = memberships
    return None


def requires(permission: str) -> Callable:
    """Refuse (403) members whose role lacks ``permission``; use on shop admin views."""
    if permission not in ALL:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            membership = g.get("membership")
            if membership is None or not can(membership.role, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate
