"""Templates render a shredded value as "[erased]" instead of failing the page."""

from __future__ import annotations

from typing import Any

from flask.templating import Environment

from tenants.keys.errors import KeyDestroyed
from tenants.keys.fields import ERASED


class ErasingEnvironment(Environment):
    """Flask's Jinja environment; attribute reads that hit destroyed keys give ERASED."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        try:
            return super().getattr(obj, attribute)
        except KeyDestroyed:
            return ERASED

    def getitem(self, obj: Any, argument: Any) -> Any:
        try:
            return super().getitem(obj, argument)
        except KeyDestroyed:
            return ERASED
