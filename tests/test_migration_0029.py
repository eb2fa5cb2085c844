"""Migration 0029: each recurring-invoice schedule gets its first date (``first_issue_on``):
``next_issue_on`` while it issued nothing, else the period of its first copy; and the
reminder sweep's partial index on open invoices. Run on SQLite from 0028 with rows in place
(the PostgreSQL schema is the session's and is checked by ``tests/test_migrations.py``)."""

from __future__ import annotations

import sqlite3
from datetime import date
from uuid import uuid4

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from mall.extensions import db
from tests.conftest import dispose_app, make_test_app

SHOP = (
    "INSERT INTO tenants (id, slug, name, description, status, created_at, updated_at, policies)"
    " VALUES (?, 'shop-m', 'Shop M', '', 'active', ?, ?, '{}')"
)
CUSTOMER = (
    "INSERT INTO crm_customers (tenant_id, id, email, email_index, tags, orders_count,"
    " lifetime_value, currency, last_seen_at, created_at)"
    " VALUES (?, ?, x'00', x'00', '[]', 0, 0, 'GBP', ?, ?)"
)
SCHEDULE = (
    "INSERT INTO invoice_schedules (tenant_id, id, template_id, customer_id, every,"
    " next_issue_on, issued_count, created_at)"
    " VALUES (?, ?, ?, ?, 'month', ?, ?, ?)"
)
COPY = (
    "INSERT INTO sales_documents (tenant_id, id, kind, status, customer_id, email, email_index,"
    " currency, subtotal, discount, shipping_method_name, shipping_amount, tax, total,"
    " prices_include_tax, note, request_key, pay_token_version, paid_method, reminders_sent,"
    " created_at, updated_at, schedule_id)"
    " VALUES (?, ?, 'invoice', 'sent', ?, x'00', x'00', 'GBP', 0, 0, '', 0, 0,"
    " 0, 0, '', ?, 1, '', 0, ?, ?, ?)"
)


def hex_id():
    return uuid4().hex  # how SQLite stores a UUID column


def key_for(schedule: str, period: date) -> str:
    return f"{schedule}:{period.toordinal():x}"


def test_first_dates_are_filled_from_the_first_copy_or_the_next_date(tmp_path):
    app = make_test_app("sqlite", tmp_path)
    tenant, customer = hex_id(), hex_id()
    fresh, issued, lost = hex_id(), hex_id(), hex_id()
    try:
        with app.app_context():
            downgrade(revision="0028")
            # A plain sqlite3 connection: foreign keys off, as if the templates existed.
            raw = sqlite3.connect(tmp_path / "test.db")
            at = "2026-01-01 12:00:00"
            raw.execute(SHOP, (tenant, at, at))
            raw.execute(CUSTOMER, (tenant, customer, at, at))
            for schedule, next_on, count in (
                (fresh, "2026-05-31", 0),  # nothing issued yet
                (issued, "2026-04-30", 2),  # Jan 31 and Feb 28 issued: Apr 30 next
                (lost, "2026-06-15", 1),  # its copy is gone: the day stays
            ):
                template = hex_id()
                raw.execute(COPY, (tenant, template, customer, template, at, at, None))
                raw.execute(SCHEDULE, (tenant, schedule, template, customer, next_on, count, at))
            for period, created in ((date(2026, 2, 28), "02"), (date(2026, 1, 31), "01")):
                when = f"2026-03-{created} 09:00:00"
                raw.execute(
                    COPY, (tenant, hex_id(), customer, key_for(issued, period), when, when, issued)
                )
            raw.commit()
            raw.close()
            upgrade()
            with db.engine.connect() as conn:
                found = dict(
                    conn.execute(sa.text("SELECT id, first_issue_on FROM invoice_schedules")).all()
                )
                indexes = {
                    index["name"]: index
                    for index in sa.inspect(conn).get_indexes("sales_documents")
                }
            assert found == {fresh: "2026-05-31", issued: "2026-01-31", lost: "2026-06-15"}
            assert indexes["ix_sales_documents_overdue"]["column_names"] == ["due_on"]
            downgrade(revision="0028")
            with db.engine.connect() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns("invoice_schedules")}
            assert "first_issue_on" not in columns
            upgrade()
    finally:
        dispose_app(app)
