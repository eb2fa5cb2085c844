"""Complete checkouts with test payments: concurrent customers against gunicorn.

    .venv/bin/python -m bench.checkout [--customers 12] [--duration 20] [--hot 40]

Run alone it builds the bench database if needed (``bench.run.ensure_database``), serves
``bench/wsgi_checkout.py`` (the production app, test payments allowed) under gunicorn like
``make bench`` does, prepares the shops, drives and checks; ``make bench`` calls
``scenario`` for its "checkout (test payments)" row.

1. **Prepare** (``prepare``, in a child process with the bench's environment, through the
   app's services as the app role): 30 stocked variants of 30 active shops ("plain", topped
   up to 1,000,000 units with a ``receipt`` movement) and one "hot" variant of another shop
   set to exactly ``--hot`` units (a receipt, or an ``adjustment`` down when a run left
   more); every one of these shops gets a flat shipping method "Bench flat" once.
2. **Drive** (``drive``): N threads, each a stream of new customers (a fresh cookie jar
   each) for D seconds, every request a new ``http.client`` connection with ``Host``
   ``mall.bench`` and ``X-Forwarded-Proto: https`` (what the TLS proxy in front sends;
   the review and place pages answer only over HTTPS in production; a ``Referer`` on
   forms, as Flask-WTF wants over HTTPS): GET a plain variant's product page (session and
   CSRF token), POST ``/cart/add`` for it and, until the hot variant is known to be sold
   out, for the hot one, then the steps as ``tests/support/shopping.py`` walks them: POST
   contact, POST address, GET shipping (the offered method), POST shipping, POST payment
   ``test``, GET review (the ``reviewed`` fingerprint), POST ``/checkout/place``. A 303 to
   ``/checkout/thanks/`` is a completed checkout; a 303 back to the review is a refusal
   ("only 0 left") that only the hot variant may cause; any other status is an error.
3. **Check** (``verify``, as the PostgreSQL superuser): new checkouts with orders equal the
   completed ones and new orders equal completed checkouts plus those holding the hot
   variant (it is in a shop of its own), no variant anywhere below zero, the hot variant at
   0 with exactly ``--hot`` units sold (the run must be long enough to sell them) and its
   quantity equal to the sum of its movements.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from bench import run

PLAIN_SHOPS = 30
PLAIN_STOCK = 1_000_000
METHOD_NAME = "Bench flat"
ADDRESS = {
    "ship-name": "Ada Lovelace",
    "ship-line1": "12 Marylebone Road",
    "ship-city": "London",
    "ship-postal_code": "NW1 5LR",
    "ship-country": "GB",
    "billing_same": "y",
}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVIEWED = re.compile(r'name="reviewed"[^>]*value="([^"]*)"')
SHIPPING = re.compile(r'name="(shipping-[0-9a-f]{32})"[^>]*value="([0-9a-f]{32})"')


# ------------------------------------------------------------------------------- prepare


def pick(db: str) -> dict:
    """The plain variants (one per shop, 30 shops) and the hot one, drawn repeatably."""
    rows = run.psql(
        "SELECT DISTINCT ON (t.id) t.id, v.id, t.slug, p.slug FROM variants v "
        "JOIN products p ON p.id = v.product_id AND p.tenant_id = v.tenant_id "
        "JOIN tenants t ON t.id = p.tenant_id WHERE t.status = 'active' "
        "AND p.status = 'published' AND p.kind = 'physical' AND v.track_stock "
        "AND NOT v.allow_backorder AND v.price > 0 "
        "ORDER BY t.id, md5(v.id::text)",
        db,
    ).splitlines()
    rows = sorted(
        (r.split("\t") for r in rows), key=lambda r: hashlib.md5(r[1].encode()).hexdigest()
    )
    if len(rows) < PLAIN_SHOPS + 1:
        raise SystemExit(
            f"{db} has {len(rows)} shops with stocked products; {PLAIN_SHOPS + 1} needed"
        )
    item = lambda r: {"shop": r[0], "variant": r[1], "path": f"/shop/{r[2]}/products/{r[3]}"}  # noqa: E731
    return {"plain": [item(r) for r in rows[:PLAIN_SHOPS]], "hot": item(rows[PLAIN_SHOPS])}


def prepare(db: str, hot: int) -> dict:
    """Shipping and stock for the picked variants (a child process in the bench env)."""
    chosen = pick(db)
    done = subprocess.run(
        [str(run.ROOT / ".venv/bin/python"), "-m", "bench.checkout", "--prepare-only",
         "--hot", str(hot)],
        input=json.dumps(chosen), env=run.mall_env(db), cwd=run.ROOT, text=True,
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"preparing {db} failed:\n{done.stderr[-3000:]}")
    return chosen


def _prepare_in_app(chosen: dict, hot: int) -> None:
    """Inside the app (production config, app role): methods once, stock topped up / set."""
    from uuid import UUID

    import sqlalchemy as sa

    from mall import create_app
    from mall.catalog.models import StockReason
    from mall.catalog.services import get_variant
    from mall.catalog.stock import adjust_stock
    from mall.extensions import db
    from mall.pricing.models import ShippingKind, ShippingMethod
    from mall.pricing.services import MethodInput, create_method
    from tenants.context import tenant_context
    from tenants.models import Tenant

    app = create_app()
    with app.app_context():
        for item, want in [(i, PLAIN_STOCK) for i in chosen["plain"]] + [(chosen["hot"], hot)]:
            shop = db.session.get(Tenant, UUID(item["shop"]))
            with tenant_context(shop):
                names = db.session.scalars(sa.select(ShippingMethod.name))
                if METHOD_NAME not in set(names):
                    create_method(
                        MethodInput(name=METHOD_NAME, kind=ShippingKind.FLAT.value, price=500)
                    )
                variant = get_variant(item["variant"])
                have = variant.stock_quantity
                if have < want:
                    adjust_stock(variant, want - have, reason=StockReason.RECEIPT, note="bench")
                elif have > want and item is chosen["hot"]:
                    adjust_stock(variant, want - have, reason=StockReason.ADJUSTMENT, note="bench")
            db.session.commit()


# --------------------------------------------------------------------------------- drive


@dataclass
class Tally:
    """What the customers saw; one lock for every thread."""

    completed: int = 0
    with_hot: int = 0
    sold_out: int = 0  # the hot variant refused at "add" (not an error)
    refused: int = 0  # "only 0 left" at place (not an error: the hot variant ran out)
    errors: int = 0
    requests: int = 0
    checkout_ms: list[float] = field(default_factory=list)
    place_ms: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Unexpected(Exception):
    """A status the walk did not expect."""


class Customer:
    """One browser: a cookie jar and the CSRF token of its session."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port, self.tally, self.cookies, self.csrf = port, tally, {}, ""
        self.page = "/"  # the last page fetched: the Referer of the next form (CSRF over HTTPS)

    def send(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """Status, Location and body of one request (no redirect followed)."""
        # As from a TLS proxy on 127.0.0.1 (gunicorn trusts it): the review and place pages
        # answer over HTTPS only in production.
        headers = {"Host": run.HOST, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.csrf, **data})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{run.HOST}{self.page}"
        else:
            self.page = path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for cookie in response.msg.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";")[0].partition("=")
                self.cookies[name.strip()] = value
            with self.tally.lock:
                self.tally.requests += 1
            return response.status, response.getheader("Location") or "", text
        finally:
            connection.close()

    def expect(
        self, method: str, path: str, data: dict | None, status: int, to: str = ""
    ) -> tuple[str, str]:
        got, location, text = self.send(method, path, data)
        if got != status or to not in location:
            raise Unexpected(f"{method} {path}: {got} {location or ''} (wanted {status} {to})")
        return location, text


def walk(customer: Customer, plain: dict, hot: dict, hot_gone: threading.Event) -> str:
    """One complete checkout; "completed", "with_hot", "refused"."""
    started = time.perf_counter()
    _, page = customer.expect("GET", plain["path"], None, 200)
    found = CSRF.search(page)
    if not found:
        raise Unexpected(f"no CSRF token on {plain['path']}")
    customer.csrf = found.group(1)
    customer.expect(
        "POST", "/cart/add", {"variant_id": plain["variant"], "quantity": 1}, 303, "/cart"
    )
    took_hot = False
    if not hot_gone.is_set():
        status, location, _ = customer.send(
            "POST", "/cart/add", {"variant_id": hot["variant"], "quantity": 1}
        )
        if status != 303:
            raise Unexpected(f"POST /cart/add (hot): {status}")
        if "/cart" in location:
            took_hot = True
        else:  # back to the product page: out of stock, nothing added
            hot_gone.set()
            with customer.tally.lock:
                customer.tally.sold_out += 1
    customer.expect(
        "POST", "/checkout/contact", {"email": "ada@example.com"}, 303, "/checkout/address"
    )
    customer.expect("POST", "/checkout/address", ADDRESS, 303, "/checkout/shipping")
    _, page = customer.expect("GET", "/checkout/shipping", None, 200)
    choice = dict(reversed(SHIPPING.findall(page)))  # the first option of every shop
    customer.expect("POST", "/checkout/shipping", choice, 303, "/checkout/payment")
    customer.expect("POST", "/checkout/payment", {"method": "test"}, 303, "/checkout/review")
    _, page = customer.expect("GET", "/checkout/review", None, 200)
    reviewed = REVIEWED.search(page)
    placing = time.perf_counter()
    status, location, _ = customer.send(
        "POST", "/checkout/place", {"reviewed": reviewed.group(1) if reviewed else ""}
    )
    done = time.perf_counter()
    if status == 303 and "/checkout/thanks/" in location:
        with customer.tally.lock:
            customer.tally.checkout_ms.append(1000 * (done - started))
            customer.tally.place_ms.append(1000 * (done - placing))
        return "with_hot" if took_hot else "completed"
    if status == 303 and location.endswith("/checkout/review") and took_hot:
        hot_gone.set()  # someone else took the last unit between "add" and "place"
        return "refused"
    raise Unexpected(f"POST /checkout/place: {status} {location}")


def drive(port: int, chosen: dict, customers: int, seconds: float) -> Tally:
    """``customers`` threads, each checking out again and again for ``seconds``."""
    tally, hot_gone = Tally(), threading.Event()
    deadline = time.monotonic() + seconds

    def loop(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            customer = Customer(port, tally)
            try:
                outcome = walk(customer, rng.choice(chosen["plain"]), chosen["hot"], hot_gone)
            except (Unexpected, OSError, http.client.HTTPException) as error:
                with tally.lock:
                    tally.errors += 1
                    if len(tally.samples) < 5:
                        tally.samples.append(str(error)[:300])
                continue
            with tally.lock:
                if outcome == "refused":
                    tally.refused += 1
                else:
                    tally.completed += 1
                    tally.with_hot += outcome == "with_hot"

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(customers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return tally


# --------------------------------------------------------------------------------- check


def counts(db: str, hot: str) -> dict[str, int]:
    """Orders, checkouts with orders, negative variants, the hot variant's stock and movements."""
    row = run.psql(
        "SELECT (SELECT count(*) FROM orders), (SELECT count(DISTINCT checkout_id) FROM orders), "
        "(SELECT count(*) FROM variants WHERE stock_quantity < 0), "
        f"(SELECT stock_quantity FROM variants WHERE id = '{hot}'), "
        f"(SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE variant_id = '{hot}'), "
        f"(SELECT coalesce(sum(quantity), 0) FROM stock_holds WHERE variant_id = '{hot}')",
        db,
    ).split("\t")
    keys = ("orders", "checkouts", "negative", "hot_stock", "hot_movements", "hot_held")
    return dict(zip(keys, map(int, row), strict=True))


def verify(before: dict[str, int], after: dict[str, int], tally: Tally, hot: int) -> list[str]:
    """The problems found (empty: every check passed)."""
    new = {key: after[key] - before[key] for key in ("orders", "checkouts", "hot_held")}
    problems = []
    if new["checkouts"] != tally.completed:
        problems.append(f"{new['checkouts']} checkouts with orders, {tally.completed} completed")
    if new["orders"] != tally.completed + tally.with_hot:
        problems.append(f"{new['orders']} orders, {tally.completed + tally.with_hot} expected")
    if after["negative"]:
        problems.append(f"{after['negative']} variants below zero")
    if tally.with_hot != hot or new["hot_held"] != hot or after["hot_stock"] != 0:
        problems.append(
            f"hot variant: {new['hot_held']} held, {tally.with_hot} bought, "
            f"{after['hot_stock']} left of {hot}"
        )
    if after["hot_stock"] != after["hot_movements"]:
        problems.append(
            f"hot variant: quantity {after['hot_stock']}, movements sum {after['hot_movements']}"
        )
    return problems


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def scenario(port: int, db: str, *, customers: int, seconds: float, hot: int) -> dict:
    """Prepare, drive and check; the numbers of the report's row."""
    chosen = prepare(db, hot)
    for item in chosen["plain"]:  # product pages warm, like the page scenarios
        run.request(port, "GET", item["path"])
    before = counts(db, chosen["hot"]["variant"])
    tally = drive(port, chosen, customers, seconds)
    after = counts(db, chosen["hot"]["variant"])
    problems = verify(before, after, tally, hot)
    elapsed = tally.elapsed  # type: ignore[attr-defined]
    return {
        "customers": customers,
        "rate": tally.completed / elapsed,
        "completed": tally.completed,
        "with_hot": tally.with_hot,
        "refused": tally.refused + tally.sold_out,
        "errors": tally.errors,
        "requests": tally.requests,
        "rps": tally.requests / elapsed,
        "p50": percentile(tally.checkout_ms, 50),
        "p99": percentile(tally.checkout_ms, 99),
        "place_p50": percentile(tally.place_ms, 50),
        "place_p99": percentile(tally.place_ms, 99),
        "hot": hot,
        "hot_sold": after["hot_held"] - before["hot_held"],
        "hot_left": after["hot_stock"],
        "negative": after["negative"],
        "problems": problems,
        "samples": tally.samples,
    }


def describe(row: dict) -> str:
    """One paragraph for the log and the report."""
    check = "no oversell, counts match" if not row["problems"] else "; ".join(row["problems"])
    return (
        f"{row['completed']:,} checkouts ({row['rate']:.1f}/s, {row['customers']} customers, "
        f"{row['rps']:.0f} requests/s), checkout p50 {row['p50']:.0f} ms "
        f"p99 {row['p99']:.0f} ms, "
        f"place p50 {row['place_p50']:.0f} ms p99 {row['place_p99']:.0f} ms, "
        f"{row['errors']} errors; "
        f"hot variant {row['hot_sold']} of {row['hot']} sold, {row['hot_left']} left, "
        f"{row['refused']} customers told it was sold out; {row['negative']} variants below zero: "
        f"{check}" + (f". First errors: {row['samples']}" if row["samples"] else "")
    )


def main() -> None:
    """Alone: build if needed, serve, prepare, drive, check, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--hot", type=int, default=20, help="units of the hot variant")
    parser.add_argument("--db", default=run.BIG)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_only:  # the child of ``prepare``: the chosen variants on stdin
        _prepare_in_app(json.load(sys.stdin), args.hot)
        return
    run.WORK.mkdir(parents=True, exist_ok=True)
    if args.db == run.BIG:
        run.ensure_database(run.BIG, run.SHOPS, run.PRODUCTS)
    server = run.Server("bench.wsgi_checkout:app", run.mall_env(args.db), "mall-checkout")
    try:
        server.wait()
        run.redis_flush()
        row = scenario(
            server.port, args.db, customers=args.customers, seconds=args.duration, hot=args.hot
        )
    finally:
        server.stop()
    print(describe(row))
    if row["problems"] or row["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
