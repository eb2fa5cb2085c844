"""The ledger's hash chain: what an entry's hash covers, and the verification of the whole chain.

An entry's hash is SHA-256 over a canonical JSON of every column of the entry
and of each of its lines, and the previous entry's hash. Changing any field of
a posted entry or line, deleting one, or moving a line to another entry
changes a hash that the next entry's ``prev_hash`` (or the head) no longer
matches, so ``verify_chain`` names the first entry that does not check out.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.checkpoints import checkpoints_in_order
from mall.ledger.models import LedgerEntry, LedgerHead, LedgerLine

GENESIS = "0" * 64
HEAD = "main"
BATCH = 2_000


def _text(value: Any) -> Any:
    if value is None or isinstance(value, int | bool):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def entry_content(entry: Any, lines: Sequence[Any]) -> dict[str, Any]:
    """Everything the hash covers: the entry's columns and its lines' columns (not the hash)."""
    return {
        "id": _text(entry.id),
        "seq": entry.seq,
        "kind": _text(entry.kind),
        "ref_type": entry.ref_type,
        "ref_id": entry.ref_id,
        "shop_id": _text(entry.shop_id),
        "idempotency_key": entry.idempotency_key,
        "memo": entry.memo,
        "actor_id": _text(entry.actor_id),
        "posted_at": _text(entry.posted_at),
        "prev_hash": entry.prev_hash,
        "lines": [
            {
                "id": _text(line.id),
                "entry_id": _text(line.entry_id),
                "entry_seq": line.entry_seq,
                "position": line.position,
                "account": _text(line.account),
                "shop_id": _text(line.shop_id),
                "amount": line.amount,
                "kind": line.kind,
                "order_id": _text(line.order_id),
                "posted_at": _text(line.posted_at),
                **_affiliate_of(line),
            }
            for line in sorted(lines, key=lambda line: line.position)
        ],
    }


def _affiliate_of(line: Any) -> dict[str, str]:
    # Only when set: every line posted before lines had an affiliate keeps its hash.
    affiliate_id = getattr(line, "affiliate_id", None)
    return {"affiliate_id": _text(affiliate_id)} if affiliate_id is not None else {}


def entry_hash(entry: Any, lines: Sequence[Any]) -> str:
    """The SHA-256 (hex) of the entry's canonical content, which includes the previous hash."""
    canonical = json.dumps(
        entry_content(entry, lines), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """What ``verify_chain`` found: ``ok``, how many entries, and the first broken one."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    message: str = ""


def _entries_in_batches() -> Iterator[tuple[Any, list[Any]]]:
    # Plain rows (same attribute names as the models), never ORM objects: a million
    # entries must not fill the session's identity map.
    entries_table, lines_table = LedgerEntry.__table__, LedgerLine.__table__
    after = 0
    while True:
        entries = db.session.execute(
            sa.select(entries_table)
            .where(entries_table.c.seq > after)
            .order_by(entries_table.c.seq)
            .limit(BATCH)
        ).all()
        if not entries:
            return
        lines: dict[Any, list[Any]] = {entry.id: [] for entry in entries}
        rows = db.session.execute(
            sa.select(lines_table).where(lines_table.c.entry_id.in_(list(lines)))
        )
        for line in rows:
            lines[line.entry_id].append(line)
        for entry in entries:
            yield entry, lines[entry.id]
        after = entries[-1].seq


def _broken(entry: Any, lines: list[Any], expected_seq: int, prev: str) -> str:
    """Why this entry does not check out, or "" when it does."""
    where = f"entry {entry.seq} ({entry.kind}, {entry.idempotency_key})"
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing: the chain jumps to entry {entry.seq}"
    if entry.prev_hash != prev:
        return f"{where}: its previous hash does not match entry {expected_seq - 1}'s hash"
    if not lines:
        return f"{where} has no lines"
    if sum(line.amount for line in lines) != 0:
        return f"{where}: its lines sum to {sum(line.amount for line in lines)}, not zero"
    if any(line.entry_seq != entry.seq or line.posted_at != entry.posted_at for line in lines):
        return f"{where}: a line's copy of the entry's number or time differs"
    if entry_hash(entry, lines) != entry.hash:
        return f"{where}: its content does not match its hash (edited after it was posted)"
    return ""


class _Checkpoints:
    """Running sums per shop and account, compared with each checkpoint round at its entry.

    A round holds a row for every account the shop has lines on (``make_checkpoints``);
    a balance reads only the newest round, so a missing row is as wrong as a changed one.
    """

    def __init__(self) -> None:
        self.sums: dict[tuple[Any, str], int] = defaultdict(int)
        self.accounts: dict[Any, set[str]] = defaultdict(set)
        self.pending = checkpoints_in_order()
        self.next = next(self.pending, None)

    def add(self, lines: list[Any]) -> None:
        for line in lines:
            self.sums[(line.shop_id, str(line.account))] += line.amount
            self.accounts[line.shop_id].add(str(line.account))

    def problem_at(self, seq: int) -> str:
        """Why a checkpoint round made at entry ``seq`` is wrong, or "" (they check out)."""
        rounds: dict[Any, set[str]] = defaultdict(set)
        while self.next is not None and self.next.upto_seq <= seq:
            point, self.next = self.next, next(self.pending, None)
            found = self.sums[(point.shop_id, str(point.account))]
            if point.balance != found:
                return (
                    f"the checkpoint of {_whose(point.shop_id)} on {point.account} at entry "
                    f"{seq} says {point.balance}, its lines sum to {found}"
                )
            rounds[point.shop_id].add(str(point.account))
        for shop_id, accounts in rounds.items():
            missing = sorted(self.accounts[shop_id] - accounts)
            if missing:
                return (
                    f"the checkpoint round of {_whose(shop_id)} at entry {seq} has no row for "
                    f"{', '.join(missing)} (deleted?)"
                )
        return ""

    def beyond(self, count: int) -> str:
        if self.next is None:
            return ""
        return f"a checkpoint is made at entry {self.next.upto_seq}, after the last ({count})"


def _whose(shop_id: Any) -> str:
    return "the platform" if shop_id is None else f"shop {shop_id}"


def verify_chain(progress: Any = None) -> Verification:
    """Recompute every hash in order, every entry's balance, every balance checkpoint and the
    head; the first break.

    ``progress(n)`` is called with the number of entries checked since the last call.
    """
    prev, expected, count, total = GENESIS, 1, 0, 0
    checkpoints = _Checkpoints()
    for entry, lines in _entries_in_batches():
        problem = _broken(entry, lines, expected, prev)
        if problem:
            broken = expected if entry.seq != expected else entry.seq
            return Verification(False, count, broken, problem)
        checkpoints.add(lines)
        problem = checkpoints.problem_at(entry.seq)
        if problem:
            return Verification(False, count, entry.seq, problem)
        total += sum(line.amount for line in lines)
        prev, expected, count = entry.hash, expected + 1, count + 1
        if progress is not None:
            progress(1)
    if checkpoints.beyond(count):
        return Verification(False, count, None, checkpoints.beyond(count))
    head = db.session.get(LedgerHead, HEAD)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        last = count + 1 if head_seq > count else count
        return Verification(
            False,
            count,
            last,
            f"the chain ends at entry {count} but its head says entry {head_seq}: "
            "the last entries were deleted or the head was changed",
        )
    if total != 0:
        return Verification(False, count, None, f"all lines together sum to {total}, not zero")
    return Verification(True, count, None, f"{count} entries check out.")
