"""Orders and money in ``make bench``: the shop's order list, its order page and Money page.

    BENCH_SCENARIOS=orders,order,money .venv/bin/python -m bench.run
    .venv/bin/python -m bench.orders          # the in-process profile and EXPLAIN ANALYZE only

The data: ``mall_bench_orders``, built once (and again when a generator or the schema
the migrations make changes: ``bench/schema_check.py``) by ``bench.run.ensure_database``:
``BENCH_ORDER_SHOPS`` (1,000) shops with ``BENCH_ORDER_PRODUCTS`` (20,000) products from
``bench.generate_catalog``, then ``BENCH_ORDERS`` (1,000,000) orders from
``bench.orders_data``: ``BENCH_BIG_ORDERS`` (100,000) in the first active shop by slug
("big"), 1,000 in the second ("small").

The bench's staff account (``orders_data.STAFF_EMAIL``, owner of both shops) signs in
through the sign-in form once; every request of these scenarios carries that session
cookie, taken after the pages were shown once (their forms' CSRF token in it), so no
request changes the session. Scenarios (first word for ``BENCH_SCENARIOS``):

- ``orders``: the list, page 1 of the big shop and of the small one (the cost must not
  grow with the number of orders), filtered pages, page 2,000 (``?older=`` the position
  after 49,975 orders),
  searches for a whole order number and for its digits only, and a customer's orders
  (``?customer=`` the blind index the email search redirects to);
- ``order``: 2,000 order pages of the big shop;
- ``money``: the big shop's Money page (balances, weekly chart, the newest statement
  lines), its statement of one account, and an older statement page (``?before=`` an
  entry half-way down); each is skipped with a note while it does not answer 200.

``profile`` (a child process in the bench environment, with the app in-process and
Flask's test client) times each kind of list page one request at a time and runs
``EXPLAIN (ANALYZE, BUFFERS)`` on the SQL the page really sent, as the app role with the
shop's ``mall.tenant_id`` (row-level security in force).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass

from bench import run, schema_check
from bench.orders_data import STAFF_EMAIL, STAFF_PASSWORD

DB = "mall_bench_orders"
SHOPS = int(os.environ.get("BENCH_ORDER_SHOPS", "1000"))
PRODUCTS = int(os.environ.get("BENCH_ORDER_PRODUCTS", "20000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000000"))
BIG = int(os.environ.get("BENCH_BIG_ORDERS", "100000"))
SMALL = 1000
PER_PAGE = 25  # mall.orders.admin_views.ORDERS_PER_PAGE
DEEP_PAGE = 2000
NAMES = ("orders", "order", "money")  # first words of the scenarios (BENCH_SCENARIOS)
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
# The pages' own reads (not the session's user, the shop, the membership).
EXPLAINED = re.compile(r"\bFROM (orders|order_\w+|shipment\w*|ledger_lines|ledger_entries)\b")
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")


@dataclass
class Picks:
    """What the scenarios request, drawn repeatably from the database."""

    big: str  # slugs
    small: str
    big_id: str
    small_id: str
    order_ids: list[str]  # of the big shop
    numbers: list[str]
    months: list[str]  # first days of months with orders (YYYY-MM-01)
    middle: str  # ``?before=`` of the big shop's statement half-way down (an older page)
    customers: list[str]  # blind indexes (hex) of customers' emails: the list's ``customer=``
    deep: str  # ``?older=`` the position that starts page ``DEEP_PAGE`` of the big shop's list


def ensure() -> None:
    """Build ``mall_bench_orders`` unless it is up to date (or only migrations' text changed)."""
    orders = ["--orders", str(ORDERS), "--big", str(BIG), "--small", str(SMALL), "--seed", "1"]
    want = f"bench:{run.fingerprint(SHOPS, PRODUCTS, orders)}"
    generators = schema_check.generators_digest(
        ["generate_catalog", "orders_data", "orders_rows", "orders_ledger"],
        [str(SHOPS), str(PRODUCTS), *orders],
    )
    schema_check.keep_if_same_schema(DB, want, generators)
    run.ensure_database(DB, SHOPS, PRODUCTS, orders=orders)
    schema_check.mark(DB, generators)
    # What a live mall has: a round of balance checkpoints a day (the daily job; for the
    # history, ``--backfill-days 1`` as after the upgrade that brought them). A repeat
    # finds nothing new and makes nothing.
    subprocess.run(
        [run.ROOT / ".venv/bin/flask", "--app", "wsgi", "mall", "ledger", "checkpoint",
         "--backfill-days", "1"],
        env=run.mall_env(DB), cwd=run.ROOT, check=True, capture_output=True,
    )  # fmt: skip
    # The steady state of a live database (autovacuum's work): visibility map set, so a
    # count can be answered from an index alone, and fresh statistics.
    tables = "orders, order_lines, order_events, ledger_entries, ledger_lines, ledger_checkpoints"
    run.psql(f"VACUUM (ANALYZE) {tables}", DB)


def pick(db: str = DB) -> Picks:
    """The big and small shop (the first two active by slug, as the generator chose them)."""
    shops = run.psql(
        "SELECT slug, id FROM tenants WHERE status = 'active' ORDER BY slug LIMIT 2", db
    ).splitlines()
    (big, big_id), (small, small_id) = (row.split("\t") for row in shops)
    rows = run.psql(
        f"SELECT id, number FROM orders WHERE tenant_id = '{big_id}' "
        "ORDER BY md5(id::text) LIMIT 2000",
        db,
    ).splitlines()
    months = run.psql(
        "SELECT DISTINCT to_char(date_trunc('month', placed_at), 'YYYY-MM-DD') FROM orders "
        f"WHERE tenant_id = '{big_id}' ORDER BY 1",
        db,
    ).splitlines()
    middle = run.psql(
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seq) FROM ledger_entries "
        f"WHERE shop_id = '{big_id}'",
        db,
    )
    middle = _statement_cursor(db, big_id, int(middle or 0))
    # What ``POST …/orders/customer`` redirects to for an email: its blind index in hex.
    customers = run.psql(
        "SELECT encode(email_index, 'hex') FROM orders "
        f"WHERE tenant_id = '{big_id}' GROUP BY 1 ORDER BY md5(encode(email_index, 'hex')) "
        "LIMIT 500",
        db,
    ).splitlines()
    # The list pages by position (``mall.pagination.encode_position``): the order just before
    # page ``DEEP_PAGE``, as the "Older" link of page ``DEEP_PAGE - 1`` would carry it.
    deep = run.psql(
        "SELECT (extract(epoch FROM placed_at) * 1000000)::bigint || '-' || "
        f"replace(id::text, '-', '') FROM orders WHERE tenant_id = '{big_id}' "
        f"ORDER BY placed_at DESC, id DESC OFFSET {(DEEP_PAGE - 1) * PER_PAGE - 1} LIMIT 1",
        db,
    )
    return Picks(
        big, small, big_id, small_id,
        order_ids=[row.split("\t")[0] for row in rows],
        numbers=[row.split("\t")[1] for row in rows[:500]],
        months=months, middle=middle, customers=customers, deep=deep,
    )  # fmt: skip


def _statement_cursor(db: str, shop_id: str, seq: int) -> str:
    """The statement's ``?before=`` for entry ``seq``: sealed by the app (its own function)."""
    code = (
        "import sys, uuid\n"
        "from mall import create_app\n"
        "from mall.ledger.statements.cursor import page_cursor\n"
        "with create_app().app_context():\n"
        "    print(page_cursor(uuid.UUID(sys.argv[1]), int(sys.argv[2])))\n"
    )
    done = subprocess.run(
        [str(run.ROOT / ".venv/bin/python"), "-c", code, shop_id, str(seq)],
        env=run.mall_env(db), cwd=run.ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else str(seq)  # before sealed cursors


def requests(picks: Picks) -> list[tuple[str, list[str]]]:
    """(scenario name, request lines) of every orders scenario."""
    big = f"/shop/{picks.big}/admin/orders/"
    small = f"/shop/{picks.small}/admin/orders/"
    query = lambda **args: big + "?" + urllib.parse.urlencode(args)  # noqa: E731
    month = picks.months[-2] if len(picks.months) > 1 else picks.months[-1]
    month_end = month[:8] + "28"
    filtered = [
        query(status="fulfilled"),
        query(payment="refunded"),
        query(status="delivered", placed_from=month, placed_to=month_end),
        query(payment="partially_refunded", placed_from=picks.months[0]),
    ]
    money = f"/shop/{picks.big}/admin/money/"
    return [
        (f"orders page 1 ({BIG:,} orders)", [big]),
        (f"orders page 1 ({SMALL:,} orders)", [small]),
        ("orders filtered (status, payment, dates)", filtered),
        (f"orders page {DEEP_PAGE:,} (after {(DEEP_PAGE - 1) * PER_PAGE:,} orders)",
         [query(older=picks.deep)]),
        ("orders search (a number)", [query(q=n) for n in picks.numbers]),
        ("orders search (digits only)", [query(q=n.rsplit("-", 1)[1]) for n in picks.numbers]),
        # An email is posted, then listed by its blind index (never in a URL).
        ("orders of a customer (email's blind index)",
         [query(customer=token) for token in picks.customers]),
        ("order page", [big + order_id for order_id in picks.order_ids]),
        ("money page", [money]),
        ("money page (available balance's statement)", [money + "?account=shop_available"]),
        ("money page (older statement page)", [money + f"?before={picks.middle}"]),
    ]  # fmt: skip


# ---------------------------------------------------------------- the staff session


def _cookies(jar: dict[str, str], set_cookies: list[str]) -> dict[str, str]:
    for cookie in set_cookies:
        name, _, value = cookie.split(";")[0].partition("=")
        jar[name.strip()] = value
    return jar


def header(jar: dict[str, str]) -> str:
    """The jar as a ``Cookie`` header."""
    return "; ".join(f"{name}={value}" for name, value in jar.items() if value)


def sign_in(
    port: int, settle: list[str], *, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD
) -> str:
    """Sign the staff account in; the session cookie after each page of ``settle`` was shown.

    A page with a form puts its CSRF token in the session (a new cookie) the first time;
    after that the cookie no longer changes, so wrk's fixed cookie is what a browser has.
    """
    status, _, body, set_cookies = run.request(port, "GET", "/account/login")
    token = CSRF.search(body)
    if status != 200 or token is None:
        raise SystemExit(f"orders bench: no sign-in form (status {status})")
    jar = _cookies({}, set_cookies)
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1).decode(), "email": email, "password": password}
    )
    status, _, _, set_cookies = run.request(port, "POST", "/account/login", form, header(jar))
    if status not in (302, 303):
        raise SystemExit(f"orders bench: signing in answered {status}, not a redirect")
    _cookies(jar, set_cookies)
    for _ in range(3):  # until the cookie stays the same
        changed = False
        for path in settle:
            _, _, _, set_cookies = run.request(port, "GET", path, cookie=header(jar))
            before = dict(jar)
            changed |= _cookies(jar, set_cookies) != before
        if not changed:
            break
    return header(jar)


def scenarios(port: int, picks: Picks, wanted: callable) -> tuple[list[tuple], list[str], str]:
    """(name, lines) of the wanted scenarios that answer 200, notes on the others, the cookie."""
    chosen = [(name, lines) for name, lines in requests(picks) if wanted(name)]
    cookie = sign_in(port, [lines[0] for _, lines in chosen])
    ready, notes = [], []
    for name, lines in chosen:
        status, _, body, _ = run.request(port, "GET", lines[0], cookie=cookie)
        if status != 200:
            notes.append(f"{name}: skipped, `{lines[0]}` answered {status} (not built yet?)")
            run.log(notes[-1])
            continue
        if name.startswith("orders search (a number)") and picks.numbers[0].encode() not in body:
            notes.append(f"{name}: the first search's page does not show {picks.numbers[0]}")
        ready.append((name, lines))
    return ready, notes, cookie


# ---------------------------------------------------------------- in-process profile


def profile(db: str = DB, picks: Picks | None = None, names: list[str] | None = None) -> dict:
    """Timings and EXPLAIN ANALYZE of the pages (``names``: those only), in a child process."""
    picks = picks or pick(db)
    names = names or [name for name, _ in requests(picks)]
    done = subprocess.run(
        [str(run.ROOT / ".venv/bin/python"), "-m", "bench.orders", "--profile-child"],
        input=json.dumps({"picks": asdict(picks), "names": names}), env=run.mall_env(db),
        cwd=run.ROOT, text=True,
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"orders profile failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _profile_in_app(picks: Picks, names: list[str], rounds: int = 30) -> dict:
    import sqlalchemy as sa
    from sqlalchemy import event

    from mall import create_app
    from mall.extensions import db

    app = create_app()
    client = app.test_client()
    base = {"base_url": "https://mall.bench"}
    page = client.get("/account/login", **base)
    token = CSRF.search(page.data).group(1).decode()
    form = {"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    referer = {"Referer": "https://mall.bench/account/login"}
    signed = client.post("/account/login", data=form, headers=referer, **base)
    assert signed.status_code in (302, 303), signed.status_code
    recorded: list[tuple[str, object]] = []
    recording = [False]

    with app.app_context():  # the engine only: each request pushes its own context
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if recording[0]:
            recorded.append((statement, parameters))

    kinds = {name: lines[0] for name, lines in requests(picks) if name in names}
    shop_of = {picks.big: picks.big_id, picks.small: picks.small_id}
    out: dict[str, dict] = {}
    for name, path in kinds.items():
        for _ in range(3):
            client.get(path, **base)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            status = client.get(path, **base).status_code
            times.append((time.perf_counter() - started) * 1000)
        recorded.clear()
        recording[0] = True
        client.get(path, **base)
        recording[0] = False
        shop_id = shop_of[path.split("/")[2]]
        plans = []
        with engine.connect() as connection:
            scope = sa.text("SELECT set_config('mall.tenant_id', :t, true)")
            connection.execute(scope, {"t": shop_id})
            for statement, parameters in recorded:
                if statement.lstrip().upper().startswith("SELECT") and EXPLAINED.search(statement):
                    plan = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).scalars()
                    plans.append({"sql": statement, "plan": "\n".join(plan)})
            connection.rollback()
        out[name] = {
            "path": path, "status": status, "p50_ms": statistics.median(times),
            "max_ms": max(times), "statements": len(recorded), "plans": plans,
        }  # fmt: skip
    return out


def _short(sql: str) -> str:
    """A statement with its long column lists folded (``orders.<35 columns>``)."""

    def fold(match: re.Match) -> str:
        return f"{match.group(1)}.<{match.group(0).count(',') + 1} columns>"

    return re.sub(r"(\w+)\.\w+(?: AS \w+)?(?:, \1\.\w+(?: AS \w+)?){5,}", fold, sql)


def section(picks: Picks, notes: list[str], result: dict) -> str:
    """The orders part of the day's results: data, notes, profile and plans."""
    lines = [
        "",
        "### Orders and money",
        "",
        f"Data: `{DB}` {SHOPS:,} shops / {PRODUCTS:,} products / {ORDERS:,} orders; the big "
        f"shop `{picks.big}` has {BIG:,} orders, the small one `{picks.small}` {SMALL:,}. "
        "Requests signed in as their owner (one session cookie).",
        "",
        *(f"- {note}" for note in notes),
        "",
        describe(result),
    ]
    return "\n".join(lines) + "\n"


def describe(result: dict) -> str:
    """The profile as Markdown: one row per page, then each list query's plan."""
    lines = [
        "| page (in-process, one at a time) | status | p50 ms | max ms | SQL statements "
        "| of which explained: ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, row in result.items():
        explained = sum(
            float(m.group(1)) for plan in row["plans"] for m in EXECUTION.finditer(plan["plan"])
        )
        lines.append(
            f"| {name} | {row['status']} | {row['p50_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {row['statements']} | {len(row['plans'])}: {explained:.1f} |"
        )
    for name, row in result.items():
        for plan in row["plans"]:
            lines += ["", f"`{row['path']}` ({name}):", "", "```", _short(plan["sql"]), "",
                      plan["plan"], "```"]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    """``--profile-child``: inside the app; otherwise build if needed and print the profile."""
    if "--profile-child" in sys.argv:
        asked = json.loads(sys.stdin.read())
        print(json.dumps(_profile_in_app(Picks(**asked["picks"]), asked["names"])))
        return
    run.WORK.mkdir(parents=True, exist_ok=True)
    ensure()
    print(describe(profile()))


if __name__ == "__main__":
    main()
