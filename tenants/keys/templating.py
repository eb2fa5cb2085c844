"""Templates degrade instead of failing the page: shredded values render as "[erased]",
altered or moved ones as "[unreadable]" (logged once, see ``fields.unreadable``)."""

from __future__ import annotations

from typing import Any

from flask.templating import Environment

from tenants.keys.errors import CiphertextInvalid, KeyDestroyed
from tenants.keys.fields import ERASED, unreadable


class ErasingEnvironment(Environment):
    """Flask's Jinja environment; attribute reads that cannot open a sealed value degrade."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        try:
            return super().getattr(obj, attribute)
        except KeyDestroyed:
            return ERASED
        except CiphertextInvalid as error:
            return unreadable(error)

    def getitem(self, obj: Any, argument: Any) -> Any:
        try:
            return super().getitem(obj, argument)
        except KeyDestroyed:
            return ERASED
        except CiphertextInvalid as error:
            return unreadable(error)
