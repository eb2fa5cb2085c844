"""Blocks other purchasing parts add to a vendor's page (its POs, its bills).

Each is a function ``(vendor) -> HTML`` (rendered by its owner, usually with
``render_template``), called in the order added; the vendor page shows them below its
products. Nothing here names a higher part: each part adds its own from its ``wire``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from vendors.models import Vendor

SECTIONS_KEY = "vendors.vendor_sections"
VendorSection = Callable[[Vendor], str]


def add_vendor_section(app: Flask, func: VendorSection) -> None:
    """Show ``func(vendor)``'s HTML on every vendor's page."""
    found = app.extensions.setdefault(SECTIONS_KEY, [])
    if func not in found:
        found.append(func)


def vendor_sections(vendor: Vendor) -> list[Markup]:
    """The added blocks of ``vendor``'s page, as HTML."""
    return [Markup(func(vendor)) for func in current_app.extensions.get(SECTIONS_KEY, [])]  # noqa: S704
