"""Links that later capabilities add to the account page's menu (downloads, …).

``accounts`` comes before them in ``mall.DOMAINS`` and names none of their endpoints;
each adds its own page here from its ``init_app``.
"""

from __future__ import annotations

from flask import Flask, current_app

LINKS_KEY = "mall.accounts.links"


def add_account_link(app: Flask, label: str, endpoint: str) -> None:
    """Show ``label`` linking to ``endpoint`` (no arguments) in the account page's menu."""
    links = app.extensions.setdefault(LINKS_KEY, [])
    if (label, endpoint) not in links:
        links.append((label, endpoint))


def account_links() -> list[tuple[str, str]]:
    """The added links, in the order the capabilities were set up: (label, endpoint)."""
    return list(current_app.extensions.get(LINKS_KEY, []))
