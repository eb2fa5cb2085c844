"""The orders bench's ledger: journal entries posted in time order over the whole mall.

``bench.orders_rows`` schedules each order's entries when it makes the order (a payment,
a release 7 days after fulfilment, a refund); ``Ledger.post_until`` writes the ones whose
time has come before the next order is made, so ``seq`` follows ``posted_at`` as it does
when the app posts them. Amounts: debit > 0, credit < 0; an entry's lines sum to zero
(PostgreSQL's deferred trigger checks each one at commit). Hashes are placeholders:
``sha256(previous hash + idempotency key)``.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

PENDING, AVAILABLE = "shop_pending", "shop_available"
COMMISSION_BP = 1000


def uuid7_at(moment: datetime, rng: random.Random) -> UUID:
    """A UUIDv7 of ``moment`` (ids are time-ordered as if made when the row was)."""
    millis = int(moment.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (millis << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62)
    return UUID(int=value | (rand & ((1 << 62) - 1)))


class Rows:
    """New rows per table, in insertion order, until copied."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables[table].append(row)


@dataclass(order=True)
class _Pending:
    at: datetime
    n: int
    entry: dict[str, Any] = field(compare=False)


class Ledger:
    """Journal entries posted in time order: scheduled with a time, written when it passes."""

    def __init__(self, rng: random.Random, seq: int = 0, last_hash: str = "0" * 64) -> None:
        self.rng, self.seq, self.hash = rng, seq, last_hash
        self.heap: list[_Pending] = []
        self.scheduled = 0

    def schedule(self, at: datetime, entry: dict[str, Any]) -> None:
        """Post ``entry`` at ``at``; its ``lines``: (account, shop id, amount, kind, order id)."""
        self.scheduled += 1
        heapq.heappush(self.heap, _Pending(at, self.scheduled, entry))

    def post_until(self, moment: datetime, out: Rows) -> None:
        """Write every entry scheduled up to ``moment``, in time order."""
        while self.heap and self.heap[0].at <= moment:
            pending = heapq.heappop(self.heap)
            self._write(pending.at, pending.entry, out)

    def _write(self, at: datetime, entry: dict[str, Any], out: Rows) -> None:
        self.seq += 1
        entry_id = uuid7_at(at, self.rng)
        key = entry["idempotency_key"]
        prev, self.hash = self.hash, hashlib.sha256((self.hash + key).encode()).hexdigest()
        lines = [line for line in entry.pop("lines") if line[2] != 0]
        out.add(
            "ledger_entries",
            {**entry, "id": entry_id, "seq": self.seq, "actor_id": None, "posted_at": at,
             "prev_hash": prev, "hash": self.hash},
        )  # fmt: skip
        for position, (account, shop_id, amount, kind, order_id) in enumerate(lines):
            out.add(
                "ledger_lines",
                {"id": uuid7_at(at, self.rng), "entry_id": entry_id, "entry_seq": self.seq,
                 "position": position, "account": account, "shop_id": shop_id,
                 "amount": amount, "kind": kind, "order_id": order_id, "posted_at": at},
            )  # fmt: skip

    def payment(self, shop_id: UUID, order: dict, lines: list[dict]) -> None:
        """The payment of ``order`` (key ``payment:<order>``), as ``mall.ledger.sales`` posts it."""
        self.schedule(
            order["paid_at"],
            {"kind": "payment", "ref_type": "order", "ref_id": str(order["id"]),
             "shop_id": shop_id, "idempotency_key": f"payment:{order['id']}",
             "memo": f"{order['number']} paid", "lines": payment_lines(shop_id, order, lines)},
        )  # fmt: skip

    def release_and_refund(
        self, shop_id: UUID, order: dict, lines: list[dict], released: datetime | None,
        refund: Refund | None, now: datetime,
    ) -> None:  # fmt: skip
        """The refund (on pending or available, whichever holds the order's money then) and
        the release of what is pending when the holding period ends (``mall.ledger.release``)."""
        pending = sum(
            line[2] for line in payment_lines(shop_id, order, lines) if line[0] == PENDING
        )
        if refund is not None:
            before = released is None or refund.at < released
            moved = refund_lines(shop_id, order, refund, PENDING if before else AVAILABLE)
            if before:
                pending += sum(line[2] for line in moved if line[0] == PENDING)
            self.schedule(
                refund.at,
                {"kind": "refund", "ref_type": "refund", "ref_id": str(refund.id),
                 "shop_id": shop_id, "idempotency_key": f"refund:{refund.id}",
                 "memo": f"{order['number']} refund", "lines": moved},
            )  # fmt: skip
        if released is not None and released <= now and pending:
            mine = (shop_id, "release", order["id"])
            self.schedule(
                released,
                {"kind": "release", "ref_type": "order", "ref_id": str(order["id"]),
                 "shop_id": shop_id, "idempotency_key": f"release:{order['id']}",
                 "memo": f"{order['number']}: holding period over",
                 "lines": [(PENDING, mine[0], -pending, *mine[1:]),
                           (AVAILABLE, mine[0], pending, *mine[1:])]},
            )  # fmt: skip


# ---------------------------------------------------------------- the lines, as the app's


@dataclass(frozen=True)
class Refund:
    """A refund made: when, how much, which order lines (all: with the shipping)."""

    id: UUID
    at: datetime
    amount: int
    lines: list[dict]
    full: bool
    manual: bool


def payment_lines(shop_id: UUID, order: dict, lines: list[dict]) -> list[tuple]:
    """``mall.ledger.sales.payment_lines`` for a bench order (prices without tax, shop's tax)."""
    oid = order["id"]
    gross = sum(line["total"] - line["tax"] + line["discount_shop"] for line in lines)
    if order["payment_method"] == "stripe":
        collected = ("processor", None, order["total"], "payment", oid)
    else:  # bank transfer, offline card: the shop holds the money
        collected = (PENDING, shop_id, order["total"], "collected_by_shop", oid)
    return [
        collected,
        (PENDING, shop_id, -gross, "sale", oid),
        (PENDING, shop_id, order["discount_shop"], "discount_shop", oid),
        (PENDING, shop_id, -order["shipping_amount"], "shipping", oid),
        (PENDING, shop_id, -order["tax"], "tax", oid),
        (PENDING, shop_id, order["commission"], "commission", oid),
        ("commission_revenue", None, -order["commission"], "commission", oid),
    ]


def refund_lines(shop_id: UUID, order: dict, refund: Refund, shop: str) -> list[tuple]:
    """``mall.ledger.sales.refund_lines`` for whole lines (and, refunded in full, shipping)."""
    oid, out = order["id"], []
    for line in refund.lines:
        commission = half_up(line["subtotal"] - line["discount_shop"], COMMISSION_BP)
        out += [
            (shop, shop_id, line["total"] - line["tax"], "refund", oid),
            (shop, shop_id, line["tax"], "tax", oid),
            (shop, shop_id, -commission, "commission_reversal", oid),
            ("commission_revenue", None, commission, "commission_reversal", oid),
        ]  # fmt: skip
    if refund.full:
        out += [
            (shop, shop_id, order["shipping_amount"], "shipping_refund", oid),
            (shop, shop_id, order["shipping_tax"], "tax", oid),
        ]
    if refund.manual:
        out.append((shop, shop_id, -refund.amount, "refunded_by_shop", oid))
    else:
        out.append(("processor", None, -refund.amount, "refund", oid))
    return out


def half_up(amount: int, bp: int) -> int:
    """``amount`` * ``bp`` / 10,000, rounded half up (as ``mall.money`` rounds)."""
    return (amount * bp + 5000) // 10000
