"""Rows of the orders bench: one shop order at a time, as plain dicts per table.

Used by ``bench.orders_data``, which feeds the orders in the order they were placed
(over the whole mall) and copies the rows into PostgreSQL. Nothing here touches a
database; sealing the personal data is the caller's (``Sealer``), with the app's key
service, exactly as ``EncryptedField`` seals it (the row id is bound into each value).

An order, from its placing time and a few dice:

- 1-4 lines of the shop's variants (1-3 units each), tax at 20 % on top, a shop-funded
  10 % coupon on one order in eight, flat shipping when a line ships, commission 10 %
  of the shop's net (frozen per line, summed on the order);
- paid by Stripe (86 %, within minutes), bank transfer (10 %, within days) or an offline
  card (4 %, within hours); 4 % are never paid (awaiting payment while recent, else
  cancelled and voided);
- shipped 4-72 hours after payment in one parcel (1 % of those ship part and stop there:
  partially fulfilled), delivered 1-5 days later (70 %), digital orders fulfilled at
  payment; 1 % cancelled after payment (refunded in full), 3 % refunded in full after
  fulfilment, 4 % refunded one line (payment partially refunded);
- a timeline event per step, a checkout and a payment attempt, shipments with tracking.

Ledger entries (``bench.orders_ledger``, posted in time order over the whole run): the
payment of each paid order (processor, the shop's pending balance, commission), its
release to the available balance 7 days after fulfilment (or payment, for digital goods),
and refunds (the commission reversed at the frozen rate). The hash chain holds placeholder
hashes: bench data only, so ``flask mall ledger verify`` reports it broken.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from bench.orders_ledger import COMMISSION_BP, Ledger, Refund, Rows, half_up, uuid7_at

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HOLDING = timedelta(days=7)  # pending -> available, after fulfilment (or payment: digital)
TAX_BP = 2000
SHIPPING, SHIPPING_TAX = 495, 99
CARRIERS = {
    "royal_mail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "dhl_parcel": "https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html"
    "?piececode={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{number}",
}
FIRST = (
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
    "Ken", "Radia", "Tim", "Sophie", "Linus", "Hedy", "Dennis", "Karen", "Niklaus",
)  # fmt: skip
LAST = (
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy",
    "Hamilton", "Thompson", "Perlman", "Berners-Lee", "Wilson", "Torvalds", "Lamarr",
    "Ritchie", "Jones", "Wirth",
)  # fmt: skip
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Green Way")
CITIES = (
    ("London", "NW1 5LR"), ("Leeds", "LS1 4DY"), ("Bristol", "BS1 5TR"),
    ("York", "YO1 7HH"), ("Cardiff", "CF10 1EP"), ("Glasgow", "G1 1XQ"),
)  # fmt: skip
REASONS = ("Arrived damaged.", "Customer changed their mind.", "Wrong size.", "Never arrived.")


def customer_email(k: int) -> str:
    """The email of a shop's ``k``-th customer (the scenario searches for these)."""
    first, last = FIRST[k % len(FIRST)], LAST[k // len(FIRST) % len(LAST)]
    return f"{first.lower()}.{last.lower()}{k}@example.com"


@dataclass(frozen=True)
class Item:
    """One variant a shop sells, as an order line copies it."""

    variant_id: UUID
    product_id: UUID
    title: str
    sku: str
    options: str
    kind: str  # "physical" or "digital"
    price: int


@dataclass
class Shop:
    """A shop receiving orders: its number prefix, what it sells, its counter."""

    id: UUID
    prefix: str
    items: list[Item]
    customers: int  # the size of its customer pool (emails repeat: returning customers)
    last_number: int = 1000


class Sealer:
    """Seals personal data as ``EncryptedField`` does (the orders_data script's key service)."""

    seal: Callable[[UUID, str, str, UUID, str], bytes]  # shop, table, column, row id, value
    index: Callable[[UUID, str, str], bytes]  # shop, field ("orders.email"), normalised value


class OrderMaker:
    """Makes one order's rows (see the module's docstring for the shape of the data)."""

    def __init__(
        self, rng: random.Random, *, now: datetime, staff_id: UUID, currency: str, sealer: Sealer
    ) -> None:
        self.rng, self.now, self.staff_id = rng, now, staff_id
        self.currency, self.sealer = currency, sealer

    # ------------------------------------------------------------ one order

    def make(self, shop: Shop, placed: datetime, out: Rows, ledger: Ledger) -> None:
        """All rows of one new order of ``shop`` placed at ``placed``."""
        rng = self.rng
        shop.last_number += 1
        order_id = uuid7_at(placed, rng)
        self.payment_id = uuid7_at(placed, rng)  # the payment attempt (refunds point at it)
        method = rng.choices(("stripe", "bank_transfer", "offline_card"), (86, 10, 4))[0]
        lines = self._lines(shop, order_id, placed, rng.random() < 0.125)
        ships = any(line["requires_shipping"] for line in lines)
        commission = sum(line.pop("_commission") for line in lines)
        order = self._order_row(shop, order_id, placed, method, lines, ships, commission)
        events = [("placed", placed, f"Order {order['number']} placed.", None)]
        self._story(shop, order, lines, events, out, ledger)
        self._contact(shop, order, ships)
        self._checkout(order, out)
        out.add("orders", order)
        for line in lines:
            out.add("order_lines", line)
        for kind, at, message, actor in events:
            out.add(
                "order_events",
                {"tenant_id": shop.id, "id": uuid7_at(at, rng), "order_id": order_id,
                 "kind": kind, "message": message, "actor_id": actor, "created_at": at},
            )  # fmt: skip

    def _lines(
        self, shop: Shop, order_id: UUID, placed: datetime, coupon: bool
    ) -> list[dict[str, Any]]:
        rng = self.rng
        count = min(rng.choices((1, 2, 3, 4), (50, 28, 15, 7))[0], len(shop.items))
        rows = []
        for position, item in enumerate(rng.sample(shop.items, count)):
            quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
            subtotal = item.price * quantity
            discount = subtotal // 10 if coupon else 0
            tax = half_up(subtotal - discount, TAX_BP)
            rows.append(
                {"tenant_id": shop.id, "id": uuid7_at(placed, rng), "order_id": order_id,
                 "position": position, "product_id": item.product_id,
                 "variant_id": item.variant_id, "title": item.title, "sku": item.sku,
                 "options": item.options, "kind": item.kind,
                 "requires_shipping": item.kind == "physical", "unit_price": item.price,
                 "quantity": quantity, "subtotal": subtotal, "discount_shop": discount,
                 "discount_platform": 0, "tax": tax, "tax_rate_bp": TAX_BP,
                 "tax_collector": "shop", "tax_country": "GB",
                 "total": subtotal - discount + tax, "quantity_shipped": 0,
                 "quantity_refunded": 0, "amount_refunded": 0,
                 "_commission": half_up(subtotal - discount, COMMISSION_BP)},
            )  # fmt: skip
        return rows

    def _order_row(
        self, shop: Shop, order_id: UUID, placed: datetime, method: str,
        lines: list[dict[str, Any]], ships: bool, commission: int,
    ) -> dict[str, Any]:  # fmt: skip
        shipping, shipping_tax = (SHIPPING, SHIPPING_TAX) if ships else (0, 0)
        return {
            "tenant_id": shop.id, "id": order_id,
            "checkout_id": uuid7_at(placed - timedelta(minutes=3), self.rng),
            "number": f"{shop.prefix}-{shop.last_number}", "status": "awaiting_payment",
            "payment_status": "pending", "payment_method": method, "user_id": None,
            "currency": self.currency, "subtotal": sum(line["subtotal"] for line in lines),
            "discount_shop": sum(line["discount_shop"] for line in lines),
            "discount_platform": 0, "shipping_amount": shipping, "shipping_tax": shipping_tax,
            "shipping_tax_collector": "shop",
            "tax": sum(line["tax"] for line in lines) + shipping_tax,
            "total": sum(line["total"] for line in lines) + shipping + shipping_tax,
            "prices_include_tax": False, "shipping_method_id": None,
            "shipping_method_name": "Standard delivery" if ships else "", "needs_shipping": ships,
            "placed_at": placed, "paid_at": None, "cancelled_at": None, "fulfilled_at": None,
            "delivered_at": None, "refunded_amount": 0, "commission": commission,
            "commission_rate_bp": COMMISSION_BP, "created_at": placed, "updated_at": placed,
        }  # fmt: skip

    # ------------------------------------------------------------ what happened to it

    def _story(
        self, shop: Shop, order: dict, lines: list[dict], events: list, out: Rows, ledger: Ledger
    ) -> None:
        rng, now, placed = self.rng, self.now, order["placed_at"]
        method = order["payment_method"]
        wait = {"stripe": timedelta(seconds=rng.randint(20, 300)),
                "bank_transfer": timedelta(hours=rng.uniform(1, 72)),
                "offline_card": timedelta(hours=rng.uniform(1, 24))}[method]  # fmt: skip
        paid = placed + wait
        if rng.random() < 0.04 or paid > now:
            expiry = placed + (7 * DAY if method == "bank_transfer" else HOUR)
            if expiry <= now:
                order.update(status="cancelled", payment_status="voided", cancelled_at=expiry)
                events.append(("cancelled", expiry, "Not paid in time: cancelled.", None))
            return
        order.update(status="paid", payment_status="paid", paid_at=paid, updated_at=paid)
        manual = method != "stripe"
        events.append(("paid", paid, "Payment received.", self.staff_id if manual else None))
        ledger.payment(shop.id, order, lines)
        if rng.random() < 0.01:  # cancelled by the shop before shipping: refunded in full
            cancelled = paid + HOUR * rng.randint(1, 24)
            self._cancel_paid(shop, order, lines, events, out, ledger, cancelled)
            return
        self._fulfil(shop, order, lines, events, out)
        done = order["fulfilled_at"]
        released = done + HOLDING if done else None
        refund, roll = None, rng.random()
        if done and roll < 0.07:
            at = done + DAY * rng.uniform(1, 20)
            if at <= now:
                refund = self._refund(shop, order, lines, events, out, at, full=roll < 0.03)
        ledger.release_and_refund(shop.id, order, lines, released, refund, self.now)

    def _fulfil(self, shop: Shop, order: dict, lines: list[dict], events: list, out: Rows) -> None:
        rng, paid = self.rng, order["paid_at"]
        if not order["needs_shipping"]:
            order.update(status="fulfilled", fulfilled_at=paid, updated_at=paid)
            events.append(("fulfilled", paid, "Digital items delivered.", None))
            return
        shipped = paid + HOUR * rng.uniform(4, 72)
        if shipped > self.now:
            return
        physical = [line for line in lines if line["requires_shipping"]]
        partial = len(physical) > 1 and rng.random() < 0.01
        parcel = physical[:1] if partial else physical
        self._shipment(shop, order, parcel, events, out, shipped)
        if partial:
            order.update(status="partially_fulfilled", updated_at=shipped)
            return
        order.update(status="fulfilled", fulfilled_at=shipped, updated_at=shipped)
        delivered = shipped + DAY * rng.uniform(1, 5)
        if delivered <= self.now and rng.random() < 0.7:
            order.update(status="delivered", delivered_at=delivered, updated_at=delivered)
            events.append(("delivered", delivered, "Marked delivered.", self.staff_id))

    def _shipment(
        self, shop: Shop, order: dict, lines: list[dict], events: list, out: Rows, at: datetime
    ) -> None:
        rng = self.rng
        carrier = rng.choice(tuple(CARRIERS))
        number = f"BN{rng.randrange(10**11, 10**12)}GB"
        shipment_id = uuid7_at(at, rng)
        out.add(
            "shipments",
            {"tenant_id": shop.id, "id": shipment_id, "order_id": order["id"],
             "carrier": carrier, "tracking_number": number,
             "tracking_url": CARRIERS[carrier].format(number=number), "shipped_at": at,
             "request_key": shipment_id.hex, "actor_id": self.staff_id,
             "customer_notified_at": at + timedelta(seconds=30), "created_at": at},
        )  # fmt: skip
        for line in lines:
            line["quantity_shipped"] = line["quantity"]
            out.add(
                "shipment_lines",
                {"tenant_id": shop.id, "id": uuid7_at(at, rng), "shipment_id": shipment_id,
                 "order_line_id": line["id"], "quantity": line["quantity"]},
            )  # fmt: skip
        units = sum(line["quantity"] for line in lines)
        events.append(("shipped", at, f"Shipped {units} item(s) ({carrier}).", self.staff_id))

    def _cancel_paid(
        self, shop: Shop, order: dict, lines: list[dict], events: list, out: Rows,
        ledger: Ledger, at: datetime,
    ) -> None:  # fmt: skip
        if at > self.now:
            return
        refund = self._refund(shop, order, lines, events, out, at, full=True)
        order.update(status="cancelled", cancelled_at=at)
        events.append(("cancelled", at, "Cancelled by the shop.", self.staff_id))
        ledger.release_and_refund(shop.id, order, lines, None, refund, self.now)

    def _refund(
        self, shop: Shop, order: dict, lines: list[dict], events: list, out: Rows,
        at: datetime, *, full: bool,
    ) -> Refund:  # fmt: skip
        """The refund's rows (and, paid by Stripe, the provider's refund); what was refunded."""
        rng = self.rng
        chosen = lines if full else [rng.choice(lines)]
        refund_id = uuid7_at(at, rng)
        shipping = order["shipping_amount"] + order["shipping_tax"] if full else 0
        amount = sum(line["total"] for line in chosen) + shipping
        manual = order["payment_method"] != "stripe"
        provider_refund = None if manual else uuid7_at(at, rng)
        if provider_refund is not None:
            out.add(
                "payment_refunds",
                {"id": provider_refund, "payment_id": self.payment_id, "amount": amount,
                 "status": "succeeded", "idempotency_key": f"bench-{provider_refund.hex}",
                 "provider_ref": f"re_bench_{provider_refund.hex}", "reason": "",
                 "created_at": at},
            )  # fmt: skip
        for line in chosen:
            line.update(quantity_refunded=line["quantity"], amount_refunded=line["total"])
            out.add(
                "order_refund_lines",
                {"tenant_id": shop.id, "id": uuid7_at(at, rng), "refund_id": refund_id,
                 "order_line_id": line["id"], "quantity": line["quantity"],
                 "amount": line["total"], "tax": line["tax"]},
            )  # fmt: skip
        out.add(
            "order_refunds",
            {"tenant_id": shop.id, "id": refund_id, "order_id": order["id"], "amount": amount,
             "shipping": shipping, "restocked": rng.random() < 0.5,
             "manual": manual, "source": "admin", "reason": rng.choice(REASONS),
             "idempotency_key": f"bench-{refund_id.hex}", "payment_refund_id": provider_refund,
             "actor_id": self.staff_id, "created_at": at},
        )  # fmt: skip
        status = "refunded" if full else "partially_refunded"
        order.update(payment_status=status, refunded_amount=amount, updated_at=at)
        if full:
            order["status"] = "refunded"
        events.append(("refunded", at, f"Refunded {amount / 100:.2f}.", self.staff_id))
        return Refund(refund_id, at, amount, chosen, full, manual)

    # ------------------------------------------------------------ contact, checkout

    def _contact(self, shop: Shop, order: dict, ships: bool) -> None:
        rng, sealer = self.rng, self.sealer
        k = int(shop.customers * rng.random() ** 1.5)  # returning customers buy more often
        email = customer_email(k)
        order["email"] = sealer.seal(shop.id, "orders", "email", order["id"], email)
        order["email_index"] = sealer.index(shop.id, "orders.email", email)
        order["billing_address"] = None
        order["shipping_address"] = None
        if ships:
            city, postcode = CITIES[k % len(CITIES)]
            name = f"{FIRST[k % len(FIRST)]} {LAST[k // len(FIRST) % len(LAST)]}"
            address = (
                f'{{"city":"{city}","country":"GB","line1":"{k % 200 + 1} '
                f'{STREETS[k % len(STREETS)]}","line2":"","name":"{name}","phone":"",'
                f'"postal_code":"{postcode}","region":""}}'
            )  # PostalAddress.to_json's shape (sorted keys, no spaces)
            order["shipping_address"] = sealer.seal(
                shop.id, "orders", "shipping_address", order["id"], address
            )

    def _checkout(self, order: dict, out: Rows) -> None:
        status = {"cancelled": "expired", "awaiting_payment": "awaiting"}.get(
            order["status"], "paid"
        )
        placed, paid = order["placed_at"], order["paid_at"]
        started = placed - timedelta(minutes=3)
        method = order["payment_method"]
        out.add(
            "checkouts",
            {"id": order["checkout_id"],
             "token_digest": hashlib.sha256(order["id"].bytes).digest(), "cart_id": None,
             "user_id": None, "status": status, "currency": order["currency"],
             "payment_method": method, "total": order["total"], "country": "GB",
             "shipping_choice": {}, "coupon_codes": [], "referral": [],
             "submitted_at": placed, "hold_until": placed + HOUR, "paid_at": paid,
             "closed_at": order["cancelled_at"] if status == "expired" else None,
             "email": None, "email_index": None, "shipping_address": None,
             "billing_address": None, "created_at": started, "updated_at": paid or placed},
        )  # fmt: skip
        state = "succeeded" if paid else "pending" if status == "awaiting" else "expired"
        out.add(
            "payments",
            {"id": self.payment_id, "checkout_id": order["checkout_id"],
             "attempt": 1, "provider": method,
             "status": state,
             "amount": order["total"], "refunded_amount": order["refunded_amount"],
             "currency": order["currency"],
             "provider_ref": f"cs_bench_{order['id'].hex}" if method == "stripe" else None,
             "provider_payment_ref": f"pi_bench_{order['id'].hex}" if method == "stripe" else None,
             "succeeded_at": paid, "created_at": placed, "updated_at": paid or placed},
        )  # fmt: skip
