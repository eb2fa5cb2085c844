"""The operator's money pages in the console, /admin/…: one module a blueprint.

- ``commission``: commission settings and each shop's rates (``commission_console``);
- ``revenue``: the platform's revenue per period (``revenue_console``);
- ``money``: disputes, unattributed refunds, reconciliation, adjustments and the refund
  fee policy (``money_console``);
- ``payouts``: what shops are owed, manual batches, one shop's payouts (``payouts_console``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from mall.extensions import db

# The blueprints' root is this folder; their templates are mall/ledger/templates.
TEMPLATES = "../templates"


def shop_query() -> str:
    """What the "find a shop" box asks for (``?q=``), trimmed to what the box takes."""
    return (request.args.get("q") or "").strip()[:100]


def saved(
    changed: bool, *, done: str, unchanged: str, endpoint: str, **values: Any
) -> ResponseReturnValue:
    """Commit, flash ``done`` (``unchanged`` when the service changed nothing), 303 to
    ``endpoint``."""
    db.session.commit()
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(url_for(endpoint, **values), 303)
