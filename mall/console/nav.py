"""Sections that later layers add to the console's navigation (``console/_nav.html``).

The console comes before them in ``mall.DOMAINS`` and names none of their endpoints;
each adds its own section here from its ``init_app`` (the affiliate program).
"""

from __future__ import annotations

from flask import Flask, current_app

NAV_KEY = "mall.console.nav_links"


def add_console_link(app: Flask, endpoint: str, label: str) -> None:
    """Show ``label`` linking to ``endpoint`` (no arguments) in the console's navigation."""
    links = app.extensions.setdefault(NAV_KEY, [])
    if (endpoint, label) not in links:
        links.append((endpoint, label))


def console_links() -> list[tuple[str, str]]:
    """The added sections, in the order they were set up: (endpoint, label)."""
    return list(current_app.extensions.get(NAV_KEY, []))
