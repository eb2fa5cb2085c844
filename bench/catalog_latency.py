"""Latency and SQL queries of the catalog pages, against the configured database.

    .venv/bin/python -m bench.catalog_latency [--requests 200] [--seed 1]

Starts the app (``MALL_DATABASE_URL``, normally the bench database filled by
``bench.generate_catalog``) with ``werkzeug.serving.make_server`` on 127.0.0.1
(a free port) in a thread, then requests, one at a time with ``urllib.request``:

- product pages of random published products of active shops (``storefront.product``);
- search pages for words drawn from product titles, and for SKUs (``catalog.search``);
- category pages of random categories (``catalog.category``).

For each kind it prints p50, p95 and max latency, the median time spent in SQL
and the SQL statements per page (counted with an engine ``before_cursor_execute`` listener; the
per-transaction ``set_config('mall.tenant_id', …)`` calls are counted apart).
A page kind whose endpoint does not exist yet is reported as missing.
"""

from __future__ import annotations

import logging
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from sqlalchemy import event
from werkzeug.serving import make_server

from config import load_config
from mall import create_app
from mall.catalog.models import Category, Product, ProductStatus, Variant
from mall.extensions import db
from tenants.context import all_tenants
from tenants.models import Tenant, TenantStatus

WARM_UP = 5


@dataclass
class QueryCount:
    """SQL statements and time in SQL since the last reset (requests run one at a time)."""

    statements: int = 0
    scope_calls: int = 0
    seconds: float = 0.0
    slowest: tuple[float, str] = (0.0, "")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_started"] = time.perf_counter()
        with self.lock:
            if "set_config('mall.tenant_id'" in statement:
                self.scope_calls += 1
            else:
                self.statements += 1

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info.pop("bench_started", None)
        if started is not None:
            elapsed = time.perf_counter() - started
            with self.lock:
                self.seconds += elapsed
                if elapsed > self.slowest[0]:
                    self.slowest = (elapsed, statement)

    def take(self) -> tuple[int, int, float, tuple[float, str]]:
        with self.lock:
            taken = (self.statements, self.scope_calls, self.seconds, self.slowest)
            self.statements = self.scope_calls = 0
            self.seconds = 0.0
            self.slowest = (0.0, "")
            return taken


@dataclass
class Result:
    kind: str
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    scope_calls: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    slowest: tuple[float, str, str] = (0.0, "", "")  # seconds, statement, path
    statuses: Counter = field(default_factory=Counter)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def sample_targets(n: int, rng: random.Random) -> dict[str, list[str]]:
    """Random product paths, search terms and category slugs from the database."""
    with all_tenants("bench: pick pages to request"):
        products = db.session.execute(
            sa.select(Tenant.slug, Product.slug, Product.title)
            .join(Tenant, Tenant.id == Product.tenant_id)
            .where(Product.status == ProductStatus.PUBLISHED, Tenant.status == TenantStatus.ACTIVE)
            .order_by(sa.func.random())
            .limit(n)
        ).all()
        skus = list(
            db.session.scalars(
                sa.select(Variant.sku)
                .join(
                    Product,
                    (Product.tenant_id == Variant.tenant_id) & (Product.id == Variant.product_id),
                )
                .where(Product.status == ProductStatus.PUBLISHED)
                .order_by(sa.func.random())
                .limit(max(1, n // 4))
            )
        )
    categories = list(db.session.scalars(sa.select(Category.slug)))
    words = [w for _, _, title in products for w in re.findall(r"[A-Za-z]{4,}", title)]
    searches = [rng.choice(words) for _ in range(n - len(skus))] if words else []
    searches += skus
    rng.shuffle(searches)
    return {
        "product": [f"/shop/{shop}/products/{slug}" for shop, slug, _ in products],
        "search": [f"/search?{urllib.parse.urlencode({'q': term})}" for term in searches],
        "category": [f"/categories/{rng.choice(categories)}" for _ in range(n)]
        if categories
        else [],
    }


def fetch(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def measure(kind: str, base: str, paths: list[str], counter: QueryCount) -> Result:
    result = Result(kind)
    for path in paths[:WARM_UP]:
        fetch(base, path)
    for path in paths:
        counter.take()
        started = time.perf_counter()
        status = fetch(base, path)
        result.latencies.append((time.perf_counter() - started) * 1000)
        statements, scope_calls, sql_seconds, slowest = counter.take()
        if slowest[0] > result.slowest[0]:
            result.slowest = (*slowest, path)
        result.sql_ms.append(sql_seconds * 1000)
        result.queries.append(statements)
        result.scope_calls.append(scope_calls)
        result.statuses[status] += 1
    return result


ENDPOINTS = {
    "product": "storefront.product",
    "search": "catalog.search",
    "category": "catalog.category",
}


def report(
    results: list[Result],
    missing: list[str],
    echo: Callable[[str], None],
    *,
    show_slowest: bool = False,
) -> None:
    echo(
        f"{'page':<10}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"
        f"{'SQL p50 ms':>12}{'queries/page (min-median-max)':>32}  statuses"
    )
    for r in results:
        q = r.queries
        echo(
            f"{r.kind:<10}{len(r.latencies):>6}"
            f"{percentile(r.latencies, 0.5):>10.1f}{percentile(r.latencies, 0.95):>10.1f}"
            f"{max(r.latencies, default=float('nan')):>10.1f}"
            f"{percentile(r.sql_ms, 0.5):>12.1f}"
            f"{f'{min(q)}-{statistics.median(q):g}-{max(q)}' if q else '-':>32}"
            f"  {dict(sorted(r.statuses.items()))}"
        )
    if results and any(r.scope_calls for r in results):
        scope = max(max(r.scope_calls, default=0) for r in results)
        echo(f"(plus up to {scope} set_config('mall.tenant_id') call(s) per page, not counted)")
    if show_slowest:
        for r in results:
            seconds, statement, path = r.slowest
            echo(f"\nslowest {r.kind} statement ({seconds * 1000:.1f} ms, {path}):")
            echo("  " + " ".join(statement.split())[:1500])
    for kind in missing:
        echo(f"{kind:<10}missing: endpoint {ENDPOINTS[kind]} is not registered")


@click.command()
@click.option("--requests", "n", default=200, show_default=True, help="Requests per page kind.")
@click.option("--seed", default=1, show_default=True, help="Random seed for the sample.")
@click.option("--slowest", is_flag=True, help="Also print the slowest SQL statement per kind.")
def main(n: int, seed: int, slowest: bool) -> None:
    """Request product, search and category pages and report latency and queries."""
    rng = random.Random(seed)
    config = load_config()
    config.DEBUG = False  # no template reloading, no debugger: as in production
    config.RATELIMIT_ENABLED = False  # one client asks for hundreds of searches a minute
    app = create_app(config)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    missing = [kind for kind, endpoint in ENDPOINTS.items() if endpoint not in app.view_functions]
    with app.app_context():
        engine = db.engine
        targets = sample_targets(n, rng)
        db.session.remove()
    counter = QueryCount()
    event.listen(engine, "before_cursor_execute", counter.before)
    event.listen(engine, "after_cursor_execute", counter.after)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    click.echo(f"Serving {engine.url.render_as_string(hide_password=True)} at {base}")
    results = []
    try:
        for kind in ENDPOINTS:
            if kind in missing or not targets[kind]:
                continue
            results.append(measure(kind, base, targets[kind], counter))
    finally:
        server.shutdown()
        event.remove(engine, "before_cursor_execute", counter.before)
        event.remove(engine, "after_cursor_execute", counter.after)
        engine.dispose()
    report(results, missing, click.echo, show_slowest=slowest)


if __name__ == "__main__":
    main()
