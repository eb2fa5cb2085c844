"""The floor: the least a page of the shop's order list can cost in Flask on PostgreSQL.

Served by ``bench.run`` next to Mall's orders scenarios, under the same gunicorn settings
and against the same database, it does what any such page must and nothing else: one raw
psycopg connection per worker (no ORM, no pool), the shop's scope set as Mall sets it
(``set_config('mall.tenant_id', …)``, row-level security in force for the app role), a few
more round trips standing for the session, the member and the count (``BENCH_FLOOR_STATEMENTS``
in all, 8 as Mall's list page sends), the newest 25 orders of the big shop by the index
Mall uses, and a compiled Jinja template of a 25-row table with tabs. No session, sign-in,
CSRF, permissions, forms, security headers or layout. Where this page already misses a
target, Mall's cannot meet it on the same machine by making its own code faster.

``BENCH_FLOOR_DSN`` is the app role's libpq connection string, ``BENCH_FLOOR_SHOP`` the
shop's id.
"""

from __future__ import annotations

import os

import psycopg
from flask import Flask

DSN = os.environ.get("BENCH_FLOOR_DSN", "")
SHOP = os.environ.get("BENCH_FLOOR_SHOP", "")
STATEMENTS = max(2, int(os.environ.get("BENCH_FLOOR_STATEMENTS", "8")))

app = Flask(__name__)
PAGE = app.jinja_env.from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orders</title></head>
<body><nav><ul>{% for tab in tabs %}<li><a href="/admin/{{ tab }}">{{ tab }}</a></li>{% endfor %}
</ul></nav><main><h1>Orders</h1><table><thead><tr><th>Order</th><th>Placed</th><th>Status</th>
<th>Payment</th><th>Method</th><th>Total</th></tr></thead><tbody>{% for o in orders %}
<tr><th scope="row"><a href="/admin/orders/{{ o[0] }}">{{ o[1] }}</a></th>
<td><time datetime="{{ o[2].isoformat() }}">{{ o[2].strftime('%Y-%m-%d %H:%M') }}</time></td>
<td><span class="badge">{{ o[3] }}</span></td><td>{{ o[4] }}</td><td>{{ o[5] }}</td>
<td>{{ '{:,.2f}'.format(o[6] / 100) }} {{ o[7] }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""
)
TABS = [f"tab-{n}" for n in range(20)]
NEWEST = (
    "SELECT id, number, placed_at, status, payment_status, payment_method, total, currency "
    "FROM orders WHERE tenant_id = %s ORDER BY placed_at DESC, id DESC LIMIT 26"
)
_connection: psycopg.Connection | None = None


def _connect() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DSN)
    return _connection


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def orders(path: str) -> str:
    """The newest 25 orders of the shop as a table, after ``STATEMENTS - 1`` other round trips."""
    connection = _connect()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('mall.tenant_id', %s, true)", (SHOP,))
        for _ in range(STATEMENTS - 2):
            cursor.execute("SELECT 1")
            cursor.fetchall()
        cursor.execute(NEWEST, (SHOP,))
        rows = cursor.fetchall()[:25]
    connection.rollback()
    return PAGE.render(orders=rows, tabs=TABS)
