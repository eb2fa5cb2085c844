"""The checkout: mall-wide pages of the visitor's own checkout.

The steps find the checkout by a random token in the visitor's own session; the
confirmation is reached only by a signed link; the return from Stripe settles
only a payment Stripe reports paid for that checkout's own session, and shows
nothing. ``tests/mall/test_checkout.py`` tries another visitor's checkout on each.
"""

MALL_ROUTES = {
    "checkout.start",
    "checkout.contact",
    "checkout.address",
    "checkout.shipping",
    "checkout.payment",
    "checkout.review",
    "checkout.place",
    "checkout.stripe_return",
    "checkout.confirmation",
}
