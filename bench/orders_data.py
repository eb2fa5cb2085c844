"""Fill a bench database with orders: a million across the mall, a hundred thousand in one shop.

    .venv/bin/python -m bench.orders_data --orders 1000000 --big 100000 --small 1000 [--seed 1]

Run after ``bench.generate_catalog`` (its shops and variants are what is sold), against
``MALL_DATABASE_URL`` with the app's configuration (keys: ``MALL_MASTER_KEYS``,
``MALL_KEYSTORE_URL``). The active shops, ordered by slug, get the orders: the first
``--big`` of them, the second ``--small``, the others the rest (unevenly, lognormal
weights). Orders are placed over ``--years`` (more of them lately) and made in the order
they were placed over the whole mall, so ids (UUIDv7), numbers (per shop, no gaps) and
the ledger's sequence follow time. What each order looks like: ``bench/orders_rows.py``.

Personal data is sealed per row with the shop's key by the app's key service, as
``EncryptedField`` does (the row id is bound into every value, so nothing is reused):
each order's email, its blind index, and the shipping address of orders that ship.

Rows go in with ``COPY`` (psycopg) in batches of ``--batch`` orders, one commit each.
PostgreSQL refuses ``COPY FROM`` into tables under row-level security for any role it
applies to (the app role, and the owner too: ``FORCE``), so the copy runs over a second
connection as the superuser (``--copy-url``, default: ``MALL_DATABASE_URL`` as user
``postgres``). By default that connection skips per-row triggers (foreign keys, the
ledger's balance trigger: ``session_replication_role = replica``) and checks the same
set-based when done (``verify``: every entry sums to zero, every foreign key of the new
rows refers to a row); ``--checked`` keeps the triggers instead (slower). The tables'
plain indexes are dropped first and made again at the end (``drop_indexes``). The
staff account (``STAFF_EMAIL``, owner of the big and the small shop) is made through the
app's services as the app role.
"""

from __future__ import annotations

import gc
import json
import math
import queue
import random
import threading
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import click
import psycopg
import sqlalchemy as sa
from flask import current_app

from bench.orders_ledger import Ledger, Rows, uuid7_at
from bench.orders_rows import Item, OrderMaker, Sealer, Shop
from mall import create_app
from mall.db import utcnow
from mall.extensions import db

STAFF_EMAIL = "orders-staff@example.com"
STAFF_PASSWORD = "bench-orders-staff-password"  # a bench database's account, nothing else
# Parents before children: foreign keys are checked at the end of each COPY.
TABLES = (
    "checkouts", "payments", "payment_refunds", "orders", "order_lines", "order_events",
    "shipments", "shipment_lines", "order_refunds", "order_refund_lines", "ledger_entries",
    "ledger_lines", "order_counters",
)  # fmt: skip


class KeySealer(Sealer):
    """The app's key service, called as ``EncryptedField`` calls it."""

    def __init__(self) -> None:
        from tenants.keys import key_service, normalise_email
        from tenants.keys.cipher import FieldContext
        from tenants.keys.service import tenant_scope

        service = key_service()
        self.seal = lambda shop, table, column, row_id, value: service.encrypt(
            value, FieldContext(tenant_scope(shop), table, column, str(row_id))
        )
        self.index = lambda shop, field, value: service.blind_index(
            normalise_email(value), scope=tenant_scope(shop), field=field
        )


class Copier:
    """``COPY`` of each batch's rows, table by table, over the superuser's connection.

    A thread of its own copies one batch and commits while the next one is made (psycopg
    waits for the server without the GIL): PostgreSQL and Python each keep a core busy.
    """

    def __init__(self, connection: psycopg.Connection, metadata: sa.MetaData) -> None:
        self.connection, self.metadata = connection, metadata
        self.queue: queue.Queue[Rows | None] = queue.Queue(maxsize=2)
        self.failed: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copier", daemon=True)

    def __enter__(self) -> Copier:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failed is not None and exc[0] is None:
            raise self.failed

    def send(self, rows: Rows) -> None:
        """Queue a batch (waits while two are queued); raises what the copier raised."""
        if self.failed is not None:
            raise self.failed
        self.queue.put(rows)

    def _run(self) -> None:
        while (rows := self.queue.get()) is not None:
            if self.failed is None:
                try:
                    self.write(rows)
                    self.connection.commit()
                except BaseException as error:  # handed to the generating thread
                    self.failed = error

    def write(self, rows: Rows) -> None:
        with self.connection.cursor() as cursor:
            for name in TABLES:
                batch = rows.tables.get(name)
                if not batch:
                    continue
                table = self.metadata.tables[name]
                columns = self.columns(table, batch[0])
                pairs = [(c, isinstance(table.c[c].type, sa.JSON)) for c in columns]
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row([json.dumps(row[c]) if j else row[c] for c, j in pairs])

    @staticmethod
    def columns(table: sa.Table, row: dict[str, Any]) -> list[str]:
        """The row's columns; fails on a column the schema lost or one the bench does not fill."""
        unknown = set(row) - set(table.c.keys())
        missing = [
            c.name
            for c in table.c
            if c.name not in row and not c.nullable and c.server_default is None
        ]
        if unknown or missing:
            raise SystemExit(
                f"{table.name}: the schema changed (unknown {sorted(unknown)}, unfilled "
                f"{missing}); update bench/orders_rows.py"
            )
        return [c.name for c in table.c if c.name in row]


# ---------------------------------------------------------------- inputs


def default_copy_url() -> str:
    """``MALL_DATABASE_URL`` as the superuser ``postgres`` (trusted on 127.0.0.1 in the bench)."""
    url = db.engine.url.set(drivername="postgresql", username="postgres", password=None)
    return url.render_as_string(hide_password=False)


def load_shops(connection: psycopg.Connection, rng: random.Random) -> list[Shop]:
    """Active shops by slug with their published variants (5 made-up ones when none)."""
    from mall.orders.numbers import order_prefix

    tenants = connection.execute(
        "SELECT id, slug FROM tenants WHERE status = 'active' ORDER BY slug"
    ).fetchall()
    items: dict[UUID, list[Item]] = {}
    for row in connection.execute(
        "SELECT v.tenant_id, v.id, v.product_id, p.title, v.sku, v.option_key, p.kind, v.price "
        "FROM variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id "
        "WHERE p.status = 'published' AND v.price > 0 ORDER BY v.tenant_id, v.id"
    ):
        tenant_id, variant_id, product_id, title, sku, key, kind, price = row
        options = ", ".join(part.replace("=", ": ") for part in key.split("|") if part)
        items.setdefault(tenant_id, []).append(
            Item(variant_id, product_id, title, sku, options, kind, price)
        )
    shops = []
    for tenant_id, slug in tenants:
        sold = items.get(tenant_id) or [
            Item(uuid7_at(utcnow(), rng), uuid7_at(utcnow(), rng), f"Bench item {n}",
                 f"BENCH-{n}", "", "physical", rng.randint(5, 300) * 100 - 1)
            for n in range(1, 6)
        ]  # fmt: skip
        prefix = order_prefix(SimpleNamespace(slug=slug))
        shops.append(Shop(tenant_id, prefix, sold, customers=20))
    return shops


def assign(shops: list[Shop], orders: int, big: int, small: int, rng: random.Random) -> list[int]:
    """Which shop (index) places each order: ``big`` to the first, ``small`` to the second."""
    rest = orders - big - small
    if len(shops) < 3 or rest < 0:
        raise click.UsageError(
            f"need 3+ active shops and --orders >= --big + --small ({len(shops)} shops)"
        )
    weights = [rng.lognormvariate(0, 0.8) for _ in shops[2:]]
    others = rng.choices(range(2, len(shops)), weights, k=rest)
    owner = [0] * big + [1] * small + others
    rng.shuffle(owner)
    counts = [0] * len(shops)
    for index in owner:
        counts[index] += 1
    for shop, count in zip(shops, counts, strict=True):
        shop.customers = max(20, int(count * 0.35))
    return owner


def staff_account(big: Shop, small: Shop) -> UUID:
    """The bench's staff account (made once): owner of the big and the small shop."""
    from mall.accounts.services import create_user, find_user_by_email
    from mall.shops.models import Membership, Role

    user = find_user_by_email(STAFF_EMAIL) or create_user(
        STAFF_EMAIL, STAFF_PASSWORD, name="Bench Staff", verified=True
    )
    for shop in (big, small):
        member = sa.select(Membership).where(
            Membership.user_id == user.id, Membership.tenant_id == shop.id
        )
        if db.session.scalar(member) is None:
            db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=Role.OWNER))
    db.session.commit()
    return user.id


# ---------------------------------------------------------------- the run


def verify(connection: psycopg.Connection, metadata: sa.MetaData) -> None:
    """What the skipped triggers check, set-based: every entry balances, every key refers."""
    unbalanced = connection.execute(
        "SELECT entry_id FROM ledger_lines GROUP BY entry_id HAVING sum(amount) <> 0 LIMIT 1"
    ).fetchone()
    if unbalanced:
        raise SystemExit(f"ledger entry {unbalanced[0]} does not balance")
    for name in TABLES:
        for key in metadata.tables[name].foreign_key_constraints:
            mine = [element.parent.name for element in key.elements]
            theirs = [element.column.name for element in key.elements]
            match = " AND ".join(f'p."{t}" = c."{m}"' for m, t in zip(mine, theirs, strict=True))
            present = " AND ".join(f'c."{m}" IS NOT NULL' for m in mine)
            orphans = connection.execute(
                f"SELECT count(*) FROM {name} c WHERE {present} AND NOT EXISTS "
                f"(SELECT 1 FROM {key.referred_table.name} p WHERE {match})"
            ).fetchone()[0]
            if orphans:
                raise SystemExit(f"{name}: {orphans} rows break {key.name}")


def drop_indexes(connection: psycopg.Connection) -> list[str]:
    """Drop the plain indexes of the tables filled here; their definitions, to make them again.

    Building an index once over millions of rows (a sort) costs a fraction of keeping it
    up to date row by row. Primary keys and unique constraints stay (they guard the data).
    """
    found = connection.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        (list(TABLES),),
    ).fetchall()
    for name, _ in found:
        connection.execute(f'DROP INDEX "{name}"')
    connection.commit()
    return [definition for _, definition in found]


def generate(
    connection: psycopg.Connection, *, orders: int, big: int, small: int, years: float,
    seed: int, batch: int, checked: bool,
) -> dict[str, Any]:  # fmt: skip
    """Make and copy every row; returns counts and the time taken."""
    rng = random.Random(seed)
    if connection.execute("SELECT EXISTS (SELECT 1 FROM orders)").fetchone()[0]:
        raise click.UsageError("this database has orders already: build a fresh one")
    connection.execute("SET synchronous_commit = off")  # bench data: a crash means a rebuild
    if not checked:
        # No per-row triggers (foreign keys, the ledger's balance): ``verify`` checks the
        # same set-based at the end, in seconds instead of minutes.
        connection.execute("SET session_replication_role = replica")
    indexes = drop_indexes(connection)
    shops = load_shops(connection, rng)
    owner = assign(shops, orders, big, small, rng)
    now = utcnow()
    span = years * 365 * 86400
    # More orders lately: the density grows linearly over the period.
    offsets = sorted(math.sqrt(rng.random()) * span for _ in range(orders))
    start = now - timedelta(seconds=span)
    head = connection.execute("SELECT seq, hash FROM ledger_head WHERE name = 'main'").fetchone()
    ledger = Ledger(rng, *(head or (0, "0" * 64)))
    maker = OrderMaker(
        rng, now=now, staff_id=staff_account(shops[0], shops[1]),
        currency=current_app.config["CURRENCY"], sealer=KeySealer(),
    )  # fmt: skip
    copier = Copier(connection, db.metadata)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with click.progressbar(length=orders, label="orders", show_pos=True) as bar, copier:
        for first in range(0, orders, batch):
            rows = Rows()
            for n in range(first, min(orders, first + batch)):
                placed = start + timedelta(seconds=offsets[n])
                ledger.post_until(placed, rows)
                maker.make(shops[owner[n]], placed, rows, ledger)
            if first + batch >= orders:
                ledger.post_until(now, rows)
                for shop in shops:
                    if shop.last_number > 1000:
                        rows.add("order_counters", {"tenant_id": shop.id, "id": shop.id,
                                                    "last_number": shop.last_number})  # fmt: skip
            copier.send(rows)
            for name, table_rows in rows.tables.items():
                counts[name] = counts.get(name, 0) + len(table_rows)
            bar.update(min(batch, orders - first))
    connection.execute(
        "INSERT INTO ledger_head (name, seq, hash) VALUES ('main', %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
        (ledger.seq, ledger.hash),
    )
    connection.commit()
    click.echo(f"Making {len(indexes)} indexes again")
    connection.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        connection.execute(definition)
    connection.commit()
    if not checked:
        connection.execute("SET session_replication_role = DEFAULT")
        click.echo("Verifying balances and foreign keys")
        verify(connection, db.metadata)
    counts["seconds"] = time.perf_counter() - started
    return counts


@click.command()
@click.option("--orders", default=1_000_000, show_default=True, help="Orders over the mall.")
@click.option("--big", default=100_000, show_default=True, help="Orders of the first shop.")
@click.option("--small", default=1_000, show_default=True, help="Orders of the second shop.")
@click.option("--years", default=2.0, show_default=True, help="Placed over this many years.")
@click.option("--seed", default=1, show_default=True, help="Random seed (repeatable data).")
@click.option("--batch", default=10_000, show_default=True, help="Orders per COPY and commit.")
@click.option("--copy-url", default=None, help="Superuser URL for COPY (default: see above).")
@click.option(
    "--checked/--verify-after",
    default=False,
    show_default=True,
    help="Triggers (foreign keys, balance) per row, or one set-based check at the end.",
)
def main(
    orders: int, big: int, small: int, years: float, seed: int, batch: int,
    copy_url: str | None, checked: bool,
) -> None:  # fmt: skip
    """Fill MALL_DATABASE_URL's shops with orders, shipments, refunds and ledger entries."""
    if min(big, small, batch) < 1 or years <= 0:
        raise click.BadParameter("--big, --small and --batch must be positive, --years too")
    app = create_app()
    with app.app_context():
        url = copy_url or default_copy_url()
        click.echo(f"Generating {orders:,} orders ({big:,} in one shop, {small:,} in another)")
        # Millions of short-lived dicts and no reference cycles: the cyclic collector would
        # only walk them again and again.
        gc.disable()
        with psycopg.connect(url) as connection:
            counts = generate(
                connection, orders=orders, big=big, small=small, years=years, seed=seed,
                batch=batch, checked=checked,
            )  # fmt: skip
        db.session.remove()
    seconds = counts.pop("seconds")
    rows = sum(counts.values())
    click.echo(
        ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items()))
        + f": {rows:,} rows in {seconds:.0f} s ({rows / seconds:,.0f} rows/s, "
        f"{orders / seconds:,.0f} orders/s)."
    )


if __name__ == "__main__":
    main()
