"""Licence key imports: a CSV file into a variant's pool (all or none), then the waiting lines.

A file is refused unread over ``MAX_FILE_BYTES``; at most ``MAX_KEYS_PER_IMPORT``
keys per file, and reading stops at the tenth wrong row.

A key already in the pool (its blind index) refuses the whole file, naming its
row. Lines waiting for keys get them oldest first, and their buyers are
emailed. Every function works inside the shop's tenant context, flushes and
never commits.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa

from mall import csvsafe
from mall.catalog.models import ProductKind, Variant
from mall.delivery.errors import DeliveryError
from mall.delivery.jobs import send_keys_issued_email
from mall.delivery.keys import get_pool, issue_keys, rearm, settle_order, warn_if_low
from mall.delivery.models import DownloadGrant, GrantStatus, KeyPool, LicenceKey, normalise_key
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from tenants.keys import tenant_scope

MAX_KEYS_PER_IMPORT = 10_000
MAX_KEY_LENGTH = 200
MAX_FILE_BYTES = 2 * 1024 * 1024  # 10,000 keys of 200 characters, with room to spare
MAX_ERRORS_SHOWN = 10  # reading stops at the tenth wrong row
HEADERS = {"key", "keys", "licence_key", "license_key", "licence key", "license key"}


# ---------------------------------------------------------------- importing


@dataclass
class KeyImport:
    """What an import did: keys added and lines that got their keys."""

    added: int
    filled: int


def set_low_threshold(pool: KeyPool, *, threshold: int | None) -> KeyPool:
    """The pool's own low mark (None: the shop's default); re-arms or fires the warning."""
    if threshold is not None and not 0 <= threshold <= MAX_KEYS_PER_IMPORT:
        raise DeliveryError(
            f"The low-pool warning is a number of keys from 0 to {MAX_KEYS_PER_IMPORT}."
        )
    pool.low_threshold = threshold
    db.session.flush()
    rearm(pool)
    warn_if_low(pool)
    return pool


def ensure_pool(variant: Variant) -> KeyPool:
    """The variant's pool, made (empty) when it has none: its sales then take keys."""
    if variant.product.kind is not ProductKind.DIGITAL:
        raise DeliveryError(f"“{variant.product.title}” is not a digital product: it has no keys.")
    pool = get_pool(variant)
    if pool is None:
        pool = KeyPool(variant_id=variant.id)
        db.session.add(pool)
        db.session.flush()
    return pool


def parse_keys(data: bytes) -> list[str]:
    """The keys of a CSV file (first column; an optional header row); DeliveryError saying
    which rows are wrong. Empty rows are skipped.

    A file over ``MAX_FILE_BYTES`` is refused unread; reading stops at the
    ``MAX_ERRORS_SHOWN``-th wrong row and past ``MAX_KEYS_PER_IMPORT`` rows.
    """
    if len(data) > MAX_FILE_BYTES:
        raise DeliveryError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: import at most "
            f"{MAX_KEYS_PER_IMPORT:,} keys per file (split it into smaller files)."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DeliveryError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and retry."
        ) from None
    if "\x00" in text:
        raise DeliveryError("The file contains a NUL byte: is it a CSV file?")
    found: list[str] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    rows = 0
    try:
        for number, row in enumerate(csvsafe.reader(io.StringIO(text, newline="")), start=1):
            cell = normalise_key(row[0]) if row else ""
            if not cell or (number == 1 and cell.lower() in HEADERS):
                continue
            rows += 1
            if rows > MAX_KEYS_PER_IMPORT:
                raise DeliveryError(
                    f"Import at most {MAX_KEYS_PER_IMPORT:,} keys per file "
                    "(split it into smaller files)."
                )
            if len(cell) > MAX_KEY_LENGTH or not cell.isprintable():
                errors.append(f"row {number}: a key is up to {MAX_KEY_LENGTH} printable characters")
            elif cell in seen:
                errors.append(f"row {number}: the same key as row {seen[cell]}")
            else:
                seen[cell] = number
                found.append(cell)
            if len(errors) >= MAX_ERRORS_SHOWN:
                break
    except csv.Error as error:
        raise DeliveryError(f"The file cannot be read as CSV ({error}).") from None
    if len(errors) >= MAX_ERRORS_SHOWN:
        raise DeliveryError(
            f"Nothing was imported: {'; '.join(errors)} (reading stopped there: "
            "correct these rows and check the rest)."
        )
    if errors:
        raise DeliveryError(f"Nothing was imported: {'; '.join(errors)}.")
    if not found:
        raise DeliveryError("The file holds no keys: put one key per row in the first column.")
    return found


def import_keys(variant: Variant, data: bytes) -> KeyImport:
    """Add the keys of a CSV file to the variant's pool (all or none), then fill waiting lines.

    A key already in the pool (found by its blind index) refuses the whole
    file, naming its row. Lines waiting for keys get them oldest first, and
    their buyers are emailed (a job per grant, ids only).
    """
    pool = ensure_pool(variant)
    values = parse_keys(data)
    _refuse_known(pool, values)
    for value in values:
        key = LicenceKey(tenant_id=pool.tenant_id, pool_id=pool.id)
        key.key = value
        db.session.add(key)
    db.session.flush()
    filled = fill_waiting(pool)
    rearm(pool)
    return KeyImport(added=len(values), filled=filled)


def _refuse_known(pool: KeyPool, values: list[str]) -> None:
    scope = tenant_scope(pool.tenant_id)
    indexes = {LicenceKey.key.lookup(value, scope=scope): value for value in values}
    known: set[bytes] = set()
    batch = list(indexes)
    for start in range(0, len(batch), 500):
        known |= set(
            db.session.scalars(
                sa.select(LicenceKey.key_index).where(
                    LicenceKey.pool_id == pool.id,
                    LicenceKey.key_index.in_(batch[start : start + 500]),
                )
            )
        )
    if known:
        rows = sorted(values.index(indexes[index]) for index in known)
        shown = ", ".join(str(row + 1) for row in rows[:MAX_ERRORS_SHOWN])
        raise DeliveryError(
            f"Nothing was imported: {len(known)} key(s) are already in this pool "
            f"(key number {shown} of the file)."
        )


def fill_waiting(pool: KeyPool) -> int:
    """Give the lines waiting for this pool's keys what it has, oldest sale first; how many
    lines got keys (each buyer is emailed)."""
    waiting = list(
        db.session.scalars(
            sa.select(DownloadGrant)
            .where(
                DownloadGrant.variant_id == pool.variant_id,
                DownloadGrant.status == GrantStatus.ACTIVE,
                DownloadGrant.keys_issued < DownloadGrant.keys_needed,
            )
            .order_by(DownloadGrant.created_at, DownloadGrant.id)
        )
    )
    filled = 0
    for grant in waiting:
        if issue_keys(grant, pool=pool):
            filled += 1
            enqueue_after_commit(send_keys_issued_email, str(grant.tenant_id), str(grant.id))
            settle_order(grant, message="Fulfilled: the licence keys it waited for were issued.")
        if grant.waiting_for_keys:
            break  # the pool ran dry: later lines keep waiting
    return filled
