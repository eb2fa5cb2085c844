"""Links that higher layers add to a product's back-office header (its vendors, …).

The catalog comes before them in ``mall.DOMAINS`` and names none of their endpoints:
each adds its own link from its ``init_app`` or ``wire``, with the permission a member
needs to see it. The product pages' navigation (``catalog/admin/_macros.html:
product_nav``) shows, after Details, Stock, Images and Files, the links the signed-in
member may follow, each to ``url_for(endpoint, product_id=…)``.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from mall.shops.permissions import ALL, can

LINKS_KEY = "mall.catalog.product_links"

# (endpoint, label, permission); the endpoint takes ``product_id``.
ProductLink = tuple[str, str, str]


def add_product_link(app: Flask, endpoint: str, label: str, *, permission: str) -> None:
    """Show ``label`` in every product's header to members with ``permission``."""
    if permission not in ALL:
        raise KeyError(f"unknown permission {permission!r}")
    link = (endpoint, label, permission)
    links = app.extensions.setdefault(LINKS_KEY, [])
    if link not in links:
        links.append(link)


def product_links() -> list[ProductLink]:
    """The added links, in the order they were added."""
    return list(current_app.extensions.get(LINKS_KEY, []))


def member_product_links() -> list[tuple[str, str]]:
    """(endpoint, label) of the added links the signed-in member of the shop may follow."""
    membership = g.get("membership")
    if membership is None:
        return []
    return [
        (endpoint, label)
        for endpoint, label, permission in product_links()
        if can(membership.role, permission)
    ]
