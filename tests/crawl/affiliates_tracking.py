"""Affiliate links: the short link ``/r/<code>`` shows nothing of any shop (a redirect)."""

from __future__ import annotations

# A redirect to a page on the mall's own hosts, whatever the code
# (tests/affiliates/test_tracking.py).
MALL_ROUTES = {"affiliates_tracking.follow"}
