"""The affiliate scenarios of ``make bench``: the short link and a landing page with ``?ref=``.

``ensure(db)`` fills the catalog bench database (``mall_bench``) once with
``AFFILIATES`` approved affiliates (codes ``BENCH-<n>``) and ``CLICKS`` clicks spread
over the last 90 days (random affiliates, landing pages among the catalog's products,
a few thousand IP indexes, a tenth of them bots), in two set-based INSERTs as the
superuser (platform tables: no row-level security), then rolls them up per day in SQL.
A database that already has its bench affiliates is left as it is.

``scenarios(picks)`` gives the request lines (``bench/rotate.lua``):

- ``affiliate redirect``: ``/r/BENCH-<n>?to=/shop/<slug>/products/<slug>`` (a 302, one
  INSERT per request);
- ``affiliate landing``: ``/shop/<slug>/products/<slug>?ref=BENCH-<n>`` (the cached
  product page plus one INSERT and the cookie);
- ``affiliate dashboard``: ``/affiliates/dashboard`` (30 and 90 days), signed in as the
  affiliate ``BENCH-1``, which has a tenth of all clicks (``bench/affiliate_account.py``).

The promises (issue 13): the redirect at least 50 % of its ceiling, p99 under 50 ms; the
dashboard p99 under 100 ms whatever the number of clicks.
"""

from __future__ import annotations

import os
import subprocess

from bench import run
from bench.affiliate_account import AFFILIATE_EMAIL, AFFILIATE_PASSWORD
from bench.run import log, psql  # run imports this module inside a function

AFFILIATES = int(os.environ.get("BENCH_AFFILIATES", "10000"))
CLICKS = int(os.environ.get("BENCH_CLICKS", "1000000"))
LINES = 2000  # URLs per scenario


def ensure(db: str) -> None:
    """Generate the affiliates, their clicks and their daily rollups once."""
    have = int(psql("SELECT count(*) FROM affiliates WHERE code LIKE 'BENCH-%'", db) or 0)
    if have >= AFFILIATES:
        _account(db)
        return
    log(f"affiliates: {AFFILIATES:,} affiliates and {CLICKS:,} clicks in {db}")
    psql(
        "INSERT INTO affiliates (id, code, status, payout_method, decision_note, "
        "created_at, updated_at) "
        "SELECT gen_random_uuid(), 'BENCH-' || n, 'approved', 'paypal', '', now(), now() "
        f"FROM generate_series({have + 1}, {AFFILIATES}) AS n",
        db,
    )
    # hashtext() spreads the series over affiliates, pages, times and addresses repeatably.
    psql(
        "WITH a AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS n FROM affiliates "
        "WHERE code LIKE 'BENCH-%'), "
        "p AS (SELECT '/shop/' || t.slug || '/products/' || pr.slug AS path, t.id AS shop_id, "
        "row_number() OVER (ORDER BY md5(pr.id::text)) - 1 AS n FROM products pr "
        "JOIN tenants t ON t.id = pr.tenant_id WHERE pr.status = 'published' LIMIT 5000), "
        # Every tenth click is BENCH-1's (n = 0): the dashboard's affiliate has 100,000 of them.
        "g AS (SELECT i, CASE WHEN i % 10 = 1 THEN 0 "
        "ELSE abs(hashtext('a' || i)) % (SELECT count(*) FROM a) END AS an, "
        "abs(hashtext('p' || i)) % (SELECT count(*) FROM p) AS pn, "
        "abs(hashtext('t' || i)) % (90 * 86400) AS ago, "
        "abs(hashtext('v' || i)) % 5000 AS visitor "
        f"FROM generate_series(1, {CLICKS}) AS i) "
        "INSERT INTO affiliate_clicks (id, affiliate_id, clicked_at, shop_id, landing_path, "
        "referrer_host, ip_index, agent) "
        "SELECT gen_random_uuid(), a.id, now() - g.ago * interval '1 second', p.shop_id, "
        "p.path, 'blog.example', decode(md5(g.visitor::text) || md5(g.visitor::text), 'hex'), "
        "CASE WHEN g.i % 10 = 0 THEN 'bot' WHEN g.i % 3 = 0 THEN 'mobile' ELSE 'desktop' END "
        "FROM g JOIN a ON a.n = g.an JOIN p ON p.n = g.pn",
        db,
    )
    psql(
        "INSERT INTO affiliate_daily_stats (id, affiliate_id, day, clicks, bot_clicks, "
        "discounted_clicks, visitors, conversions, earned, rolled_at) "
        "SELECT gen_random_uuid(), affiliate_id, (clicked_at AT TIME ZONE 'UTC')::date, "
        "count(*) FILTER (WHERE agent <> 'bot'), count(*) FILTER (WHERE agent = 'bot'), 0, "
        "count(DISTINCT ip_index) FILTER (WHERE agent <> 'bot'), 0, 0, now() "
        "FROM affiliate_clicks GROUP BY 2, 3 ON CONFLICT DO NOTHING",
        db,
    )
    psql("ANALYZE affiliates; ANALYZE affiliate_clicks; ANALYZE affiliate_daily_stats", db)
    _account(db)


def _account(db: str) -> None:
    """The signed-in affiliate of the dashboard scenario (made once)."""
    subprocess.run(
        [run.ROOT / ".venv/bin/python", "-m", "bench.affiliate_account"],
        env=run.mall_env(db), cwd=run.ROOT, check=True,
    )  # fmt: skip


def dashboard(port: int) -> tuple[list[str], str]:
    """The dashboard's request lines and the signed-in affiliate's cookie."""
    from bench import orders

    lines = ["/affiliates/dashboard", "/affiliates/dashboard?days=90"]
    cookie = orders.sign_in(port, lines, email=AFFILIATE_EMAIL, password=AFFILIATE_PASSWORD)
    for line in lines:
        status, _, body, _ = run.request(port, "GET", line, cookie=cookie)
        if status != 200 or b"Your affiliate dashboard" not in body:
            raise SystemExit(f"affiliate dashboard: {line} answered {status}, not the dashboard")
    return lines, cookie


def scenarios(product_paths: list[str]) -> dict[str, list[str]]:
    """Request lines of the two scenarios, over the bench affiliates and ``product_paths``."""
    paths = product_paths or ["/"]
    codes = [f"BENCH-{1 + (n * 7919) % AFFILIATES}" for n in range(LINES)]
    return {
        "redirect": [f"/r/{code}?to={paths[n % len(paths)]}" for n, code in enumerate(codes)],
        "landing": [f"{paths[n % len(paths)]}?ref={code}" for n, code in enumerate(codes)],
    }
