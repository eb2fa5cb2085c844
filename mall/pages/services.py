"""Services behind the mall-wide pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from mall.extensions import db
from mall.jobs import redis_connection


def check_health(app: Flask) -> tuple[bool, dict[str, Any]]:
    """Ping the database (and Redis when configured); returns (healthy, report)."""
    report: dict[str, Any] = {}
    healthy = True
    try:
        db.session.execute(sa.text("SELECT 1"))
        report["database"] = "ok"
    except Exception as error:  # any failure is the report, not a 500
        healthy = False
        report["database"] = f"error: {type(error).__name__}"
    finally:
        db.session.rollback()
    if app.config.get("REDIS_URL"):
        try:
            redis_connection(app).ping()
            report["redis"] = "ok"
        except Exception as error:
            healthy = False
            report["redis"] = f"error: {type(error).__name__}"
    else:
        report["redis"] = "not configured (jobs run inline)"
    report["status"] = "ok" if healthy else "error"
    return healthy, report
