"""``make bench``: throughput of Mall's pages under gunicorn, next to a ceiling app.

    .venv/bin/python -m bench.run        # BENCH_PRODUCTS, BENCH_SHOPS, BENCH_DURATION to change

1. Builds the bench databases once: ``mall_bench`` (BENCH_SHOPS shops, BENCH_PRODUCTS
   products) and ``mall_bench_small`` (10 shops, the same products per shop), each with
   the owner and app roles, migrated as the owner and filled by ``bench.generate_catalog``.
   A database is rebuilt only when its fingerprint (sha256 of the generator, the
   migrations and the sizes, kept as the database's comment) changes. The orders and
   money scenarios (``bench/orders.py``) have their own, ``mall_bench_orders`` (1,000
   shops, 1,000,000 orders), built only when one of them is wanted.
2. Starts Mall in the production configuration (gunicorn, 2 sync workers, Redis) and,
   per scenario, a ceiling app (``bench/ceiling.py``) under the same gunicorn settings
   returning the scenario's exact bytes from memory.
3. Drives each with ``wrk`` (``bench/rotate.lua`` rotates over many URLs) and writes a
   Markdown table to ``bench/results/<date>.md``, which it prints.

Only 127.0.0.1 is targeted. PostgreSQL at 127.0.0.1:5432 (user postgres, trusted),
Redis at 127.0.0.1:6379 (db 5).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/mall-bench"))
PG = "postgresql://{role}@127.0.0.1:5432/{db}"
BIG, SMALL = "mall_bench", "mall_bench_small"
SHOPS = int(os.environ.get("BENCH_SHOPS", "1000"))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "100000"))
SMALL_SHOPS = 10
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
TIMEOUT = os.environ.get("BENCH_TIMEOUT", "30s")  # wrk's default (2 s) drops queued requests
FLOOR = "floor: bare Flask + psycopg, 8 round trips, 25 orders (bench/floor.py)"
WORKERS = os.environ.get("BENCH_WORKERS", "2")  # gunicorn sync workers, Mall and ceiling alike
WARM = int(os.environ.get("BENCH_WARM", "100000"))  # URLs requested once before measuring
HOST = "mall.bench"
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "12"))  # concurrent checkouts (threads)
HOT = int(os.environ.get("BENCH_HOT", "20"))  # units of the variant every customer wants
CHECKOUT_SECONDS = float(os.environ.get("BENCH_CHECKOUT_SECONDS", "30"))  # the driver's run


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def psql(sql: str, db: str = "postgres") -> str:
    """Run SQL as the superuser; returns unaligned, tuples-only output."""
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
         "-qAt", "-F", "\t", "-c", sql],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"psql failed: {done.stderr.strip()}\n{sql}")
    return done.stdout.strip()


def fingerprint(shops: int, products: int, orders: list[str] | None = None) -> str:
    """sha256 of the generators, the migrations and the sizes."""
    digest = hashlib.sha256(f"{shops}/{products}".encode())
    generators = [BENCH / "generate_catalog.py"]
    if orders:
        digest.update(" ".join(orders).encode())
        generators += [BENCH / f"orders_{name}.py" for name in ("data", "rows", "ledger")]
    for path in [*generators, *sorted((ROOT / "migrations/versions").glob("*"))]:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def master_keys() -> str:
    """The bench's master key, made once and kept in the work folder."""
    path = WORK / "master_keys"
    if not path.exists():
        path.write_text("1:" + base64.b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()


def mall_env(db: str) -> dict[str, str]:
    """The production environment for one bench database."""
    env = dict(os.environ)
    env.update(
        MALL_ENV="production",
        MALL_INSTANCE_PATH=str(WORK / "instance"),
        MALL_SECRET_KEY="bench-" + hashlib.sha256(b"mall bench secret").hexdigest(),
        MALL_DATABASE_URL=PG.format(role="mall_app", db=db),
        MALL_MIGRATION_DATABASE_URL=PG.format(role="mall_owner", db=db),
        MALL_REDIS_URL="redis://127.0.0.1:6379/5",
        MALL_MASTER_KEYS=master_keys(),
        MALL_KEYSTORE_URL=f"sqlite:///{WORK / (db + '-keystore.db')}",
        MALL_BASE_DOMAIN=HOST,
        SMTP_URL="smtp://127.0.0.1:2525",
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_WEBHOOK_SECRET="whsec_bench",
    )
    return env


def ensure_database(db: str, shops: int, products: int, orders: list[str] | None = None) -> None:
    """(Re)build ``db`` unless its comment holds the current fingerprint.

    With ``orders`` (arguments of ``bench.orders_data``), orders are generated after the catalog.
    """
    want = f"bench:{fingerprint(shops, products, orders)}"
    have = psql(
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'"
    )
    if have == want:
        log(f"{db} is up to date ({want})")
        return
    log(f"building {db}: {shops} shops, {products} products")
    psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql("""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mall_owner') THEN
    CREATE ROLE mall_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mall_app') THEN
    CREATE ROLE mall_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END $$""")
    psql(f"CREATE DATABASE {db} OWNER mall_owner")
    psql(
        "ALTER DEFAULT PRIVILEGES FOR ROLE mall_owner "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mall_app; "
        f"GRANT CONNECT ON DATABASE {db} TO mall_app",
        db,
    )
    (WORK / f"{db}-keystore.db").unlink(missing_ok=True)
    env = mall_env(db)
    bin_ = ROOT / ".venv/bin"
    upgrade = [bin_ / "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(upgrade, env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    subprocess.run(
        [bin_ / "python", "-m", "bench.generate_catalog", "--shops", str(shops),
         "--products", str(products), "--seed", "1"],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    if orders:
        subprocess.run(
            [bin_ / "python", "-m", "bench.orders_data", *orders], env=env, cwd=ROOT, check=True
        )
    log(f"generated {db} in {time.monotonic() - started:.0f} s")
    psql("ANALYZE", db)
    psql(f"COMMENT ON DATABASE {db} IS '{want}'")


def ensure_catalog(db: str, shops: int, products: int) -> None:
    """``ensure_database`` for a catalog, kept (upgraded in place) when only migrations changed."""
    from bench import schema_check

    generators = schema_check.generators_digest(["generate_catalog"], [str(shops), str(products)])
    schema_check.keep_if_same_schema(db, f"bench:{fingerprint(shops, products)}", generators)
    ensure_database(db, shops, products)
    schema_check.mark(db, generators)


def pick_requests(db: str) -> dict[str, list[str]]:
    """Request lines per scenario, drawn (repeatably) from ``db`` as the superuser."""
    active = "t.status = 'active' AND p.status = 'published'"
    rows = psql(
        "WITH shops AS (SELECT id, slug FROM tenants WHERE status = 'active' "
        "ORDER BY slug LIMIT 500) "
        "SELECT t.slug, p.slug, p.title FROM products p JOIN shops t ON t.id = p.tenant_id "
        "WHERE p.status = 'published' ORDER BY md5(p.id::text) LIMIT 2000",
        db,
    ).splitlines()
    rows = [r.split("\t") for r in rows if r.count("\t") == 2]
    words = sorted({w.lower() for *_, title in rows for w in re.findall(r"[A-Za-z]{4,}", title)})
    words = (words * (500 // max(1, len(words)) + 1))[:500]
    categories = psql("SELECT slug FROM categories ORDER BY slug", db).splitlines()
    shops = psql("SELECT slug FROM tenants WHERE status = 'active' ORDER BY slug LIMIT 500", db)
    variants = psql(
        "SELECT v.id FROM variants v JOIN products p "
        "ON p.id = v.product_id AND p.tenant_id = v.tenant_id "
        f"JOIN tenants t ON t.id = p.tenant_id WHERE {active} "
        "AND p.kind = 'physical' AND v.stock_quantity > 0 ORDER BY md5(v.id::text) LIMIT 2000",
        db,
    ).splitlines()
    cart = psql(
        "SELECT id FROM (SELECT DISTINCT ON (v.tenant_id) v.id FROM variants v JOIN products p "
        "ON p.id = v.product_id AND p.tenant_id = v.tenant_id "
        f"JOIN tenants t ON t.id = p.tenant_id WHERE {active} AND p.kind = 'physical' "
        "AND v.stock_quantity > 0 ORDER BY v.tenant_id, md5(v.id::text)) AS one_per_shop "
        "ORDER BY md5(id::text) LIMIT 3",
        db,
    ).splitlines()
    return {
        "home": ["/"],
        "category": [f"/categories/{slug}" for slug in categories],
        "shop": [f"/shop/{slug}/" for slug in shops.splitlines()],
        "product": [f"/shop/{shop}/products/{slug}" for shop, slug, _ in rows],
        "search": ["/search?" + urllib.parse.urlencode({"q": w}) for w in words],
        "variants": variants,
        "cart": cart,
    }


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn (``WORKERS`` sync workers) on 127.0.0.1, in its own process group."""

    def __init__(self, app: str, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.log = WORK / f"gunicorn-{name}.log"
        command = [
            str(ROOT / ".venv/bin/gunicorn"), "--workers", WORKERS, "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), app,
        ]  # fmt: skip
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str = "/healthz", seconds: float = 60) -> None:
        """Until ``path`` answers (any status), or fail with the server's log."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                request(self.port, "GET", path)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"server did not start; see {self.log}:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM to its process group; SIGKILL after 10 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def request(
    port: int, method: str, path: str, body: str = "", cookie: str = ""
) -> tuple[int, dict[str, str], bytes, list[str]]:
    """One request to 127.0.0.1:port with Host mall.bench; no redirects followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": HOST}
    if cookie:
        headers["Cookie"] = cookie
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        cookies = response.msg.get_all("Set-Cookie") or []
        return response.status, dict(response.getheaders()), data, cookies
    finally:
        connection.close()


def cart_requests(port: int, product_path: str, variants: list[str]) -> tuple[list[str], str]:
    """POST lines for /cart/add and the session cookie whose CSRF token they carry."""
    status, _, body, cookies = request(port, "GET", product_path)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    session = next((c.split(";")[0] for c in cookies if c.startswith("session=")), "")
    if status != 200 or not token or not session:
        raise SystemExit(f"no session/CSRF token from {product_path} (status {status})")
    csrf = token.group(1).decode()
    lines = [
        "/cart/add\t" + urllib.parse.urlencode({"csrf_token": csrf, "variant_id": v, "quantity": 1})
        for v in variants
    ]
    return lines, session


def cart_page(port: int, product_path: str, variants: list[str]) -> tuple[list[str], str]:
    """``GET /cart/`` and a session cookie whose cart holds one line of each variant.

    The cookie is the one the cart page itself sent back (its flashes shown and gone), so
    every request of the scenario renders the same cart and changes nothing.
    """
    lines, session = cart_requests(port, product_path, variants)
    for line in lines:
        path, _, body = line.partition("\t")
        status, _, _, cookies = request(port, "POST", path, body, session)
        session = next((c.split(";")[0] for c in cookies if c.startswith("session=")), session)
        if status != 303:
            raise SystemExit(f"cart page: POST {path} answered {status}")
    status, _, body, cookies = request(port, "GET", "/cart/", cookie=session)
    session = next((c.split(";")[0] for c in cookies if c.startswith("session=")), session)
    if status != 200 or body.count(b'name="variant_id"') < len(variants):
        log(f"cart page: status {status}; the cart may not hold {len(variants)} lines")
    return ["/cart/"], session


def wrk(
    port: int, lines: list[str], cookie: str, name: str, connections: str = CONNECTIONS
) -> dict[str, float | str]:
    """Run wrk over the request lines; parsed requests/s, p50/p99 ms, errors, timeouts."""
    file = WORK / f"requests-{name}.txt"
    file.write_text("\n".join(lines) + "\n")
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{DURATION}", f"--timeout={TIMEOUT}", "--latency",
        "-s", str(BENCH / "rotate.lua"), f"http://127.0.0.1:{port}", "--", str(file), cookie,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout
    (WORK / f"wrk-{name}-{port}.txt").write_text(out)
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float | str]:
    """Requests/s, p50 and p99 in ms, non-2xx/3xx responses, socket errors and timeouts."""

    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, out)
        return match.group(1) if match else default

    latency = dict(
        (p, ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
    )
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")),
        "requests": int(find(r"(\d+) requests in")),
        "p50": latency.get("50", float("nan")),
        "p99": latency.get("99", float("nan")),
        "non2xx": int(find(r"Non-2xx or 3xx responses: (\d+)")),
        "socket": sum(int(n) for n in errors.groups()[:3]) if errors else 0,
        "timeouts": int(errors.group(4)) if errors else 0,
    }


def ceiling(port: int, line: str, cookie: str, name: str) -> Server:
    """Record ``line``'s response from Mall and serve its exact bytes from a ceiling app."""
    path, _, body = line.partition("\t")
    status, headers, data, _ = request(port, "POST" if body else "GET", path, body, cookie)
    (WORK / f"ceiling-{name}.body").write_bytes(data)
    env = dict(os.environ)
    env.update(
        BENCH_CEILING_BODY=str(WORK / f"ceiling-{name}.body"),
        BENCH_CEILING_STATUS=str(status),
        BENCH_CEILING_TYPE=headers.get("Content-Type", "text/html; charset=utf-8"),
    )
    server = Server("bench.ceiling:app", env, f"ceiling-{name}")
    server.wait("/")
    return server


def redis_flush() -> None:
    """Empty the bench's own Redis database (db 5): rate-limit counters."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", "5", "FLUSHDB"], capture_output=True)


def machine() -> dict[str, str]:
    """Cores, memory, git revision, PostgreSQL and wrk versions."""

    def run(*command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        return (done.stdout or done.stderr).strip()

    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    dirty = " (with uncommitted changes)" if run("git", "status", "--porcelain") else ""
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "?",
        "revision": run("git", "rev-parse", "--short", "HEAD") + dirty,
        "postgres": psql("SHOW server_version"),
        "wrk": run("wrk", "-v").splitlines()[0] if shutil.which("wrk") else "?",
        # Other work on the same cores (a test suite) changes every number: say how much.
        "load": ", ".join(f"{n:.1f}" for n in os.getloadavg()),
    }


def report(
    rows: list[tuple[str, int, dict, dict]],
    facts: dict[str, str],
    started: str,
    sale: dict | None = None,
) -> str:
    """The Markdown page: settings, machine and one row per scenario."""
    lines = [
        f"# Bench {started}",
        "",
        f"Mall `MALL_ENV=production` under gunicorn ({WORKERS} sync workers) with Redis, "
        f"PostgreSQL {facts['postgres']}; `wrk -t2 -c{CONNECTIONS} -d{DURATION} "
        f"--timeout={TIMEOUT} --latency` "
        "rotating over each scenario's URLs, each requested once before (caches warm: "
        f"`BENCH_WARM={WARM}` URLs). The ceiling is a minimal Flask app under the "
        "same gunicorn settings returning the scenario's first response's exact bytes.",
        "",
        f"Data: `{BIG}` {SHOPS:,} shops / {PRODUCTS:,} products; `{SMALL}` {SMALL_SHOPS} "
        f"shops / {PRODUCTS * SMALL_SHOPS // SHOPS:,} products (generator seed 1).",
        f"Machine: {facts['cores']} cores, {facts['memory']} memory; git {facts['revision']}; "
        f"{facts['wrk']}; load average at the end {facts['load']} (1, 5, 15 min).",
        "",
        "| scenario | URLs | req/s | p50 ms | p99 ms | errors | timeouts "
        "| ceiling req/s | ceiling p50 ms | % of ceiling |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, urls, mall, top in rows:
        ratio = 100 * mall["rps"] / top["rps"] if top["rps"] else float("nan")
        errors = mall["non2xx"] + mall["socket"]
        lines.append(
            f"| {name} | {urls:,} | {mall['rps']:,.1f} | {mall['p50']:.1f} | {mall['p99']:.1f} "
            f"| {errors:,} of {mall['requests']:,} | {mall['timeouts']:,} | {top['rps']:,.1f} "
            f"| {top['p50']:.1f} | {ratio:.1f} % |"
        )
    lines += [
        "",
        "errors: responses other than 2xx/3xx plus socket errors (connect, read, write); "
        f"timeouts: no answer within wrk's {TIMEOUT}. Latencies include queueing ({CONNECTIONS} "
        f"connections, {WORKERS} sync workers).",
    ]
    if sale is not None:
        check = "passed" if not sale["problems"] else "FAILED: " + "; ".join(sale["problems"])
        lines += [
            "",
            "| scenario | customers | checkouts/s | p50 ms | p99 ms | place p50 ms "
            "| place p99 ms | errors | requests/s | oversell check |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
            f"| checkout (test payments) | {sale['customers']} | {sale['rate']:.1f} "
            f"| {sale['p50']:.0f} | {sale['p99']:.0f} | {sale['place_p50']:.0f} "
            f"| {sale['place_p99']:.0f} | {sale['errors']:,} of {sale['completed']:,} "
            f"| {sale['rps']:.0f} | {check}: {sale['hot_sold']} of {sale['hot']} hot units sold, "
            f"{sale['hot_left']} left, {sale['negative']} variants below zero |",
            "",
            "checkout: `bench/checkout.py` against `bench/wsgi_checkout.py` (the production app "
            "with test payments allowed); each customer a new session: product page, add to "
            "cart (a plain variant and, while any is left, the hot one), contact, address, "
            "shipping (page and form), payment, review, place; p50/p99 of the whole walk and "
            "of the place POST. " + sale["summary"] + ".",
        ]
    return "\n".join(lines) + "\n"


def checkout_row() -> dict:
    """The "checkout (test payments)" scenario (``bench/checkout.py``) on its own server."""
    from bench import checkout  # it imports this module

    log(f"checkout (test payments): {CUSTOMERS} customers, {CHECKOUT_SECONDS:.0f} s")
    redis_flush()
    server = Server("bench.wsgi_checkout:app", mall_env(BIG), "mall-checkout")
    try:
        server.wait()
        row = checkout.scenario(
            server.port, BIG, customers=CUSTOMERS, seconds=CHECKOUT_SECONDS, hot=HOT
        )
    finally:
        server.stop()
    row["summary"] = checkout.describe(row)
    log(f"checkout (test payments): {row['summary']}")
    return row


CATALOG = ("home", "category", "shop", "product", "search", "add-to-cart", "cart", "affiliate")


def measure(
    key: str,
    name: str,
    server: Server,
    lines: list[str],
    cookie: str,
    connections: str = CONNECTIONS,
) -> tuple[str, int, dict, dict]:
    """One scenario: its ceiling, every URL once, then wrk against Mall and the ceiling (both
    with ``connections``, the run's unless the scenario names its own)."""
    log(f"{name}: {len(lines)} URLs")
    redis_flush()  # rate-limit counters of earlier scenarios and runs
    top = ceiling(server.port, lines[0], cookie, key)  # before any limit is hit
    try:
        for line in lines[:WARM]:  # every URL once: the steady state, caches warm
            path, _, body = line.partition("\t")
            request(server.port, "POST" if body else "GET", path, body, cookie)
        measured = wrk(server.port, lines, cookie, f"{key}-mall", connections)
        request(server.port, "GET", "/healthz")  # queued behind wrk's leftovers: drained
        limit = wrk(top.port, lines, cookie, f"{key}-ceiling", connections)
    finally:
        top.stop()
    log(f"{name}: {measured['rps']:.1f} req/s, ceiling {limit['rps']:.1f} req/s")
    return name, len(lines), measured, limit


def catalog_rows(wanted: Callable[[str], bool]) -> list[tuple[str, int, dict, dict]]:
    """The storefront's scenarios on the two catalog databases."""
    small_products = PRODUCTS * SMALL_SHOPS // SHOPS
    ensure_catalog(BIG, SHOPS, PRODUCTS)
    ensure_catalog(SMALL, SMALL_SHOPS, small_products)
    picks, small = pick_requests(BIG), pick_requests(SMALL)
    from bench import affiliates  # it imports this module

    if wanted("affiliate"):
        affiliates.ensure(BIG)
    referred = affiliates.scenarios(picks["product"])
    mall = Server("wsgi:app", mall_env(BIG), "mall")
    mall_small = Server("wsgi:app", mall_env(SMALL), "mall-small")
    unlimited = Server("bench.wsgi_nolimit:app", mall_env(BIG), "mall-nolimit")
    rows = []
    try:
        mall.wait()
        mall_small.wait()
        unlimited.wait()
        cart, session = cart_requests(mall.port, picks["product"][0], picks["variants"])
        cart_page_lines, cart_session = (
            cart_page(mall.port, picks["product"][0], picks["cart"])
            if wanted("cart page")
            else ([], "")
        )
        dashboard, affiliate = (
            affiliates.dashboard(mall.port) if wanted("affiliate dashboard") else ([], "")
        )
        scenarios = [
            ("home", mall, picks["home"], ""),
            ("category", mall, picks["category"], ""),
            ("shop", mall, picks["shop"], ""),
            (f"product ({SHOPS:,} shops)", mall, picks["product"], ""),
            (f"product ({SMALL_SHOPS} shops)", mall_small, small["product"], ""),
            # One address sends every request: the 60/minute per-address limit would answer 429.
            ("search (rate limit off)", unlimited, picks["search"], ""),
            ("add-to-cart (POST)", mall, cart, session),
            ("cart page (3 lines, 3 shops)", mall, cart_page_lines, cart_session),
            ("affiliate redirect (/r/CODE)", mall, referred["redirect"], ""),
            ("affiliate landing (product ?ref=CODE)", mall, referred["landing"], ""),
            ("affiliate dashboard (100,000 clicks)", mall, dashboard, affiliate),
            # One person's page: its own time, without 32 others queued in front of it.
            ("affiliate dashboard (100,000 clicks), 2 connections", mall, dashboard, affiliate),
        ]
        for n, (name, server, lines, cookie) in enumerate(scenarios):
            if wanted(name):
                connections = "2" if name.endswith("2 connections") else CONNECTIONS
                rows.append(measure(str(n), name, server, lines, cookie, connections))
    finally:
        mall.stop()
        mall_small.stop()
        unlimited.stop()
    return rows


def orders_rows(wanted: Callable[[str], bool]) -> tuple[list[tuple[str, int, dict, dict]], str]:
    """The back office's orders and money scenarios (``bench/orders.py``) and their section."""
    from bench import orders  # it imports this module

    orders.ensure()
    picks = orders.pick()
    server = Server("wsgi:app", mall_env(orders.DB), "mall-orders")
    rows = []
    try:
        server.wait()
        chosen, notes, cookie = orders.scenarios(server.port, picks, wanted)
        for n, (name, lines) in enumerate(chosen):
            rows.append(measure(f"orders-{n}", name, server, lines, cookie))
    finally:
        server.stop()
    if wanted("orders"):
        rows.append(floor_row(orders.DB, picks.big_id))
    log("orders: in-process profile and EXPLAIN ANALYZE of the list pages")
    profile = orders.profile(picks=picks, names=[name for name, _ in chosen])
    return rows, orders.section(picks, notes, profile)


def floor_row(db: str, shop_id: str) -> tuple[str, int, dict, dict]:
    """The floor of the order list (``bench/floor.py``): bare Flask and psycopg, the same
    round trips and rows, under the same gunicorn settings."""
    env = dict(os.environ, BENCH_FLOOR_SHOP=shop_id, BENCH_FLOOR_STATEMENTS="8")
    env["BENCH_FLOOR_DSN"] = PG.format(role="mall_app", db=db)
    server = Server("bench.floor:app", env, "floor")
    try:
        server.wait("/")
        return measure("floor", FLOOR, server, ["/"], "")
    finally:
        server.stop()


def main() -> None:
    """Build (if needed), serve, measure, write and print the table."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    WORK.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    only = {s for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s}

    def wanted(name: str) -> bool:  # BENCH_SCENARIOS names a scenario by its first word
        return not only or name.split(" ")[0] in only

    rows = catalog_rows(wanted) if any(wanted(name) for name in CATALOG) else []
    section = ""
    if any(wanted(name) for name in ("orders", "order", "money")):
        more, section = orders_rows(wanted)
        rows += more
    sale = checkout_row() if wanted("checkout") else None
    text = report(rows, machine(), started, sale) + section
    out = BENCH / "results" / f"{started[:10]}.md"
    out.parent.mkdir(exist_ok=True)
    # A day's file keeps every run of that day (a run of some scenarios adds a section).
    with out.open("a") as page:
        page.write(("\n" if out.stat().st_size else "") + text)
    print(text)
    log(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
