"""The affiliate's own payout page, ``/affiliates/payouts/<payout_id>``. Payouts are platform
rows under no shop's path: the page looks the payout up for the signed-in affiliate only
(``affiliates.dashboard.numbers.own_payout``), so another affiliate's payout, or any id that
is not the viewer's, answers 404 (``tests/affiliates/test_payout_page.py``).

The affiliate's Stripe onboarding, ``/affiliates/home/stripe`` (connect, POST) with Stripe's
``/refresh`` and ``/return``: no id in any URL, each person reaches only their own affiliate
row (``tests/affiliates/test_stripe_connect.py``)."""

from __future__ import annotations

MALL_ROUTES = {
    "affiliates_payout.payout",
    "affiliates_stripe.start",
    "affiliates_stripe.refresh",
    "affiliates_stripe.back",
}
