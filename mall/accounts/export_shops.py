"""Which shops hold something about a person: the shops of their data export and of their
account's deletion, answered in one place so the two can never disagree.

A shop holds data about an account when the account ordered from it, or when another
domain says so: the CRM names the shops the person wrote to while signed in (a message,
no order). Domains add such a source with ``add_shops_source`` in their ``init_app``;
``shops_of`` is what the export (``mall.accounts.export_contents``) and the erasure steps
(the CRM's ``erase_person``) both ask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.orders.models import Order
from tenants.context import all_tenants

SOURCES_KEY = "mall.privacy.shop_sources"
ShopsSource = Callable[[User], Iterable[UUID]]


def add_shops_source(app: Flask, func: ShopsSource) -> None:
    """Count the shops ``func(user)`` names (ids, read across shops) among the person's shops."""
    sources = app.extensions.setdefault(SOURCES_KEY, [])
    if func not in sources:
        sources.append(func)


def shops_of(user: User) -> list[UUID]:
    """The ids of the shops holding data about ``user``: those they ordered from, in the order of
    their first order there, then those only another domain names (by id)."""
    with all_tenants("privacy: which shops hold orders of this account (shop ids only)"):
        ordered = db.session.execute(
            sa.select(Order.tenant_id, sa.func.min(Order.placed_at))
            .where(Order.user_id == user.id)
            .group_by(Order.tenant_id)
        ).all()
    shops = [tenant_id for tenant_id, _ in sorted(ordered, key=lambda row: (row[1], row[0]))]
    others: set[UUID] = set()
    for source in current_app.extensions.get(SOURCES_KEY, []):
        others.update(source(user))
    return shops + sorted(others - set(shops))
