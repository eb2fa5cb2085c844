"""The affiliate's own payout page, ``/affiliates/payouts/<payout_id>``. Payouts are platform
rows under no shop's path: the page looks the payout up for the signed-in affiliate only
(``affiliates.dashboard.numbers.own_payout``), so another affiliate's payout, or any id that
is not the viewer's, answers 404 (``tests/affiliates/test_payout_page.py``)."""

from __future__ import annotations

MALL_ROUTES = {"affiliates_payout.payout"}
