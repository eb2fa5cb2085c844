"""The tabs of a shop's back office: the shop's own and those higher layers add (affiliates, …).

``shops`` comes before them in ``mall.DOMAINS`` and names none of their endpoints;
each adds its own tab from its ``init_app``.

Which tabs a member sees and which is current depend only on their role and the page's
endpoint, so ``admin_tabs`` works that out once per (role, endpoint) in each process; every
back-office page renders its navigation from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, g, request, url_for

from mall.shops.permissions import ALL, PERMISSIONS, Role

LINKS_KEY = "mall.shops.admin_links"

# (endpoint, label, permission, the endpoint prefixes it stands for): the longest prefix
# matching the page's endpoint makes its tab the current one.
AdminLink = tuple[str, str, str, tuple[str, ...]]

SHOP_LINKS: tuple[AdminLink, ...] = (
    ("shop_admin.dashboard", "Dashboard", "shop.view", ("shop_admin.dashboard",)),
    ("shop_admin.settings", "Settings", "shop.settings", ("shop_admin.settings",)),
    (
        "shop_admin.staff",
        "Staff",
        "staff.view",
        (
            "shop_admin.staff",
            "shop_admin.invite",
            "shop_admin.change_role",
            "shop_admin.remove_member",
            "shop_admin.revoke_invitation",
        ),
    ),
    ("catalog_admin.products", "Catalog", "catalog.manage", ("catalog_admin.",)),
    ("catalog_admin.csv_index", "Import & export", "catalog.manage", ("catalog_admin.csv_",)),
    ("orders_admin.orders", "Orders", "orders.view", ("orders_admin.",)),
    ("delivery_admin.index", "Digital delivery", "catalog.manage", ("delivery_admin.",)),
    ("invoices_admin.index", "Invoices", "orders.view", ("invoices_admin.",)),
    ("returns_admin.returns", "Returns", "orders.view", ("returns_admin.",)),
    ("customers_admin.customers", "Customers", "customers.view", ("customers_admin.",)),
    ("messages_admin.threads", "Messages", "messages.answer", ("messages_admin.",)),
    ("disputes_admin.index", "Disputes", "orders.manage", ("disputes_admin.",)),
    (
        "pricing_admin.shipping",
        "Shipping",
        "shop.view",
        (
            "pricing_admin.shipping",
            "pricing_admin.new_method",
            "pricing_admin.edit_method",
            "pricing_admin.method_active",
            "pricing_admin.delete_method",
        ),
    ),
    (
        "pricing_admin.tax",
        "Tax",
        "shop.view",
        (
            "pricing_admin.tax",
            "pricing_admin.new_rate",
            "pricing_admin.edit_rate",
            "pricing_admin.delete_rate",
        ),
    ),
    ("payments_admin.settings", "Payments", "shop.settings", ("payments_admin.settings",)),
    ("coupons_admin.coupons", "Coupons", "shop.settings", ("coupons_admin.",)),
    ("newsletters_admin.index", "Newsletters", "shop.settings", ("newsletters_admin.",)),
    ("ledger_admin.money", "Money", "payouts.view", ("ledger_admin.",)),
    ("payouts_admin.settings", "Payouts", "shop.settings", ("payouts_admin.",)),
    (
        "payments_admin.cards",
        "Cards to charge",
        "orders.manage",
        (
            "payments_admin.card",
            "payments_admin.reveal",
            "payments_admin.process",
            "payments_admin.decline",
        ),
    ),
)


@dataclass(frozen=True)
class AdminTab:
    """One tab of the back-office navigation as a member sees it."""

    endpoint: str
    label: str
    current: bool


def add_admin_link(
    app: Flask, endpoint: str, label: str, *, permission: str, prefixes: tuple[str, ...]
) -> None:
    """Show a tab ``label`` to members with ``permission``, current on ``prefixes``' endpoints."""
    if permission not in ALL:
        raise KeyError(f"unknown permission {permission!r}")
    link = (endpoint, label, permission, tuple(prefixes))
    links = app.extensions.setdefault(LINKS_KEY, [])
    if link not in links:
        links.append(link)


def admin_links() -> list[AdminLink]:
    """Every tab: the shop's own, then the added ones in the order the capabilities were set up."""
    return [*SHOP_LINKS, *current_app.extensions.get(LINKS_KEY, [])]


def admin_tabs() -> list[tuple[str, AdminTab]]:
    """The signed-in member's tabs on this page as (URL, tab): those their role may open,
    the current one marked."""
    membership = g.get("membership")
    if membership is None:
        return []
    tabs = _tabs(tuple(admin_links()), Role(membership.role), request.endpoint or "")
    return [(url_for(tab.endpoint), tab) for tab in tabs]


@lru_cache(maxsize=1024)
def _tabs(links: tuple[AdminLink, ...], role: Role, endpoint: str) -> tuple[AdminTab, ...]:
    current, longest = None, 0
    for target, _label, _permission, prefixes in links:
        for prefix in prefixes:
            if endpoint.startswith(prefix) and len(prefix) > longest:
                current, longest = target, len(prefix)
    allowed = PERMISSIONS[role]
    return tuple(
        AdminTab(target, label, target == current)
        for target, label, permission, _prefixes in links
        if permission in allowed
    )
