"""Where a checkout's time goes: the walk of ``bench/checkout.py`` in-process, profiled.

    .venv/bin/python -m bench.profile_checkout [--checkouts 40] [--top 25]

The production app of ``bench/wsgi_checkout.py`` (test payments allowed) against the
bench database (``bench.run`` builds it; ``bench.checkout`` prepares its shops), driven
through Flask's test client one customer at a time, so the numbers are the app's own
work without queueing or HTTP. Prints the milliseconds per step (median), SQL statements
and SQL time per step, and the ``cProfile`` functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import time
from collections import defaultdict

from bench import checkout, run


def main() -> None:
    """Prepare, warm up, walk ``--checkouts`` times under cProfile, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=40)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    chosen = checkout.prepare(run.BIG, 1_000_000)  # the hot variant never runs out here
    os.environ.update(run.mall_env(run.BIG))

    import sqlalchemy as sa

    from mall import create_app
    from mall.extensions import db

    app = create_app()
    app.config["PAYMENTS_TEST_PROVIDER_ALLOWED"] = True
    state = {"step": "", "sql": 0.0, "n": 0}

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        state["sql"] += time.perf_counter() - conn.info.pop("bench_t", time.perf_counter())
        state["n"] += 1

    steps: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    rng = random.Random(1)

    def one() -> None:
        client = app.test_client()
        environ = {"wsgi.url_scheme": "https", "HTTP_HOST": run.HOST}
        page = {"path": "/"}

        def call(step: str, method: str, path: str, data: dict | None = None) -> str:
            state.update(sql=0.0, n=0)
            started = time.perf_counter()
            headers = {"Referer": f"https://{run.HOST}{page['path']}"}
            if data is not None:
                data = {"csrf_token": token["value"], **data}
            response = client.open(
                path, method=method, data=data, headers=headers, environ_overrides=environ
            )
            if method == "GET":
                page["path"] = path
            steps[step].append(
                (1000 * (time.perf_counter() - started), 1000 * state["sql"], state["n"])
            )
            if response.status_code not in (200, 303):
                raise SystemExit(f"{method} {path}: {response.status_code}")
            return response.get_data(as_text=True)

        token = {"value": ""}
        plain = rng.choice(chosen["plain"])
        html = call("product page", "GET", plain["path"])
        token["value"] = checkout.CSRF.search(html).group(1)
        call("add plain", "POST", "/cart/add", {"variant_id": plain["variant"], "quantity": 1})
        hot = chosen["hot"]["variant"]
        call("add hot", "POST", "/cart/add", {"variant_id": hot, "quantity": 1})
        call("cart page", "GET", "/cart/")
        call("contact", "POST", "/checkout/contact", {"email": "ada@example.com"})
        call("address", "POST", "/checkout/address", checkout.ADDRESS)
        html = call("shipping page", "GET", "/checkout/shipping")
        choice = dict(reversed(checkout.SHIPPING.findall(html)))
        call("shipping", "POST", "/checkout/shipping", choice)
        call("payment", "POST", "/checkout/payment", {"method": "test"})
        html = call("review page", "GET", "/checkout/review")
        reviewed = checkout.REVIEWED.search(html).group(1)
        call("place", "POST", "/checkout/place", {"reviewed": reviewed})

    for _ in range(5):  # warm: imports, caches, connections
        one()
    steps.clear()
    started = time.perf_counter()
    for _ in range(args.checkouts):  # the plain time, without the profiler's overhead
        one()
    plain = (time.perf_counter() - started) / args.checkouts
    steps.clear()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.checkouts):
        one()
    profile.disable()
    took = time.perf_counter() - started
    print(f"{args.checkouts} checkouts in {took:.2f} s: {1000 * took / args.checkouts:.0f} ms each")
    print(f"without the profiler: {1000 * plain:.0f} ms each (steps below: with it)\n")
    print(f"{'step':<16} {'ms p50':>8} {'SQL ms':>8} {'stmts':>6}")
    for step, values in steps.items():
        print(
            f"{step:<16} {statistics.median(v[0] for v in values):8.1f} "
            f"{statistics.median(v[1] for v in values):8.1f} "
            f"{statistics.median(v[2] for v in values):6.0f}"
        )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()  # the app's own functions: which service spends the time
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(r"/(mall|tenants)/", args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
