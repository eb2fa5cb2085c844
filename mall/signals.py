"""Events a lower layer announces and higher layers subscribe to (blinker).

Handlers run inside the sender's transaction: they flush only, and enqueue
jobs (after commit) for anything slow.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Tenant whose public name changed (the catalog reindexes its products).
shop_renamed = _signals.signal("shop-renamed")

# sender: the User whose new email address was just confirmed (``user.email`` is the new one);
# ``old_email``: the address it replaced, in memory only (never into a job, log or URL).
# Newsletters move the account's subscriptions to the new address.
account_email_changed = _signals.signal("account-email-changed")

# sender: the Category whose name changed (the catalog reindexes its products in every shop).
category_renamed = _signals.signal("category-renamed")

# ---------------------------------------------------------------- cart, checkout, orders, payments
# Senders and keyword arguments are ids and plain values (never personal data).

# sender: the User who just signed in; ``cart_token``: the visitor's guest cart token or None.
# The cart merges the guest cart into the account's cart.
user_signed_in = _signals.signal("user-signed-in")

# sender: the payments domain; ``checkout_id``: the checkout whose payment succeeded
# (Stripe/test: the whole checkout). The checkout completes (exactly once, whatever the path).
payment_succeeded = _signals.signal("payment-succeeded")
# sender: the payments domain; ``checkout_id``: the payment failed or its session expired.
payment_failed = _signals.signal("payment-failed")
payment_expired = _signals.signal("payment-expired")
# sender: the payments domain; ``checkout_id``, ``amount``, ``provider_ref``: a refund
# made at the provider (from Mall or from the provider's dashboard).
payment_refunded = _signals.signal("payment-refunded")
# sender: the payments domain; ``checkout_id``, ``amount``, ``provider_ref``: a dispute opened.
payment_disputed = _signals.signal("payment-disputed")
# sender: the Payment; ``checkout_id``, ``provider_ref``, ``amount``, ``status`` (Stripe's:
# needs_response, under_review, warning_…), ``reason``, ``evidence_due_by`` (a Unix time or
# None): a dispute opened (sent after ``payment_disputed``) or changed. The ledger opens it
# once and keeps its deadline and status.
payment_dispute_updated = _signals.signal("payment-dispute-updated")
# sender: the Payment; the same arguments, ``status`` won, lost or warning_closed: a dispute
# closed. The ledger pays the shops again (won) or leaves the chargeback on them (lost), once.
payment_dispute_closed = _signals.signal("payment-dispute-closed")
# sender: the Order (in its shop's context) whose share of a dispute was lost, in full or in
# part, once per dispute; ``dispute_id``, ``amount`` (what the card network kept of the order),
# ``disputed`` (the order's share of the dispute). Affiliates take back the order's commissions.
dispute_lost = _signals.signal("dispute-lost")

# sender: the Order (in its shop's context) that became paid.
order_paid = _signals.signal("order-paid")
# sender: the Order that was cancelled (before fulfilment); stock has been returned.
order_cancelled = _signals.signal("order-cancelled")
# sender: the Order (in its shop's context) whose shipment was just recorded; ``shipment_id``,
# ``complete`` (True when every line that ships has now shipped).
order_fulfilled = _signals.signal("order-fulfilled")
# sender: the Order that was refunded (in part or in full); ``refund_id``, ``amount`` (what the
# customer got back), ``lines``: tuple of (order_line_id, quantity, amount) refunded, ``full``.
order_refunded = _signals.signal("order-refunded")
# sender: the Payment; ``checkout_id``, ``amount``, ``provider_ref``, ``payment_refund_id``: a
# refund made on the provider's dashboard that no single shop order could take (the ledger
# holds it as unattributed until the operator assigns it).
refund_unattributed = _signals.signal("refund-unattributed")
# sender: the Checkout that expired unpaid; its orders were cancelled and holds released.
checkout_expired = _signals.signal("checkout-expired")
# sender: the Checkout whose orders were just placed (not yet paid); ``opt_ins``: the values of
# the newsletter boxes the customer ticked on the review ("mall", shop ids). Newsletters records
# them (nothing is ever pre-ticked).
checkout_placed = _signals.signal("checkout-placed")
