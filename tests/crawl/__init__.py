"""Route classification for the cross-tenant crawler, one module per area.

Each module defines any of:

- ``MALL_ROUTES``: endpoints outside ``/shop/<shop>`` (they show no shop's private data,
  or guard their objects by signed tokens or operator rights);
- ``SHOP_ROUTES``: endpoints under ``/shop/<shop>`` (public storefront or shop admin);
- ``OBJECT_IDS``: URL argument name -> ``factory(shop) -> id`` making an object of that
  kind in ``shop`` (the crawler uses shop B's ids on shop A's paths).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

MALL_ROUTES: set[str] = set()
SHOP_ROUTES: set[str] = set()
OBJECT_IDS: dict[str, Callable] = {}

for _info in pkgutil.iter_modules(__path__):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    MALL_ROUTES |= set(getattr(_module, "MALL_ROUTES", ()))
    SHOP_ROUTES |= set(getattr(_module, "SHOP_ROUTES", ()))
    OBJECT_IDS.update(getattr(_module, "OBJECT_IDS", {}))
