"""Events a lower layer announces and higher layers subscribe to (blinker).

Handlers run inside the sender's transaction: they flush only, and enqueue
jobs (after commit) for anything slow.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Tenant whose public name changed (the catalog reindexes its products).
shop_renamed = _signals.signal("shop-renamed")

# sender: the Category whose name changed (the catalog reindexes its products in every shop).
category_renamed = _signals.signal("category-renamed")
