"""Tabs that higher layers add to a shop's back-office navigation (affiliates, …).

``shops`` comes before them in ``mall.DOMAINS`` and names none of their endpoints;
each adds its own tab from its ``init_app``.
"""

from __future__ import annotations

from flask import Flask, current_app

from mall.shops.permissions import ALL

LINKS_KEY = "mall.shops.admin_links"

# (endpoint, label, permission, the endpoint prefixes it stands for), as in admin_base.html.
AdminLink = tuple[str, str, str, tuple[str, ...]]


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
    """The added tabs, in the order the capabilities were set up."""
    return list(current_app.extensions.get(LINKS_KEY, []))
