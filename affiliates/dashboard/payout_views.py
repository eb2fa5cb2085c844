"""The affiliate's own payout (blueprint ``affiliates_payout``): ``/affiliates/payouts/<id>``,
linked from the dashboard's payouts, listing the commissions (and clawbacks) it settled.

A payout's id is in the URL, so the page answers only the signed-in affiliate's own
payouts: anyone else's, or an id that is no payout, is a 404 (never a 403 that would say
the payout exists).
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from affiliates.dashboard import numbers
from affiliates.dashboard.views import PRIVATE, TEMPLATES, _mine, _not_yet, dashboard_helpers

bp = Blueprint(
    "affiliates_payout", __name__, url_prefix="/affiliates", template_folder="../templates"
)
bp.context_processor(dashboard_helpers)

STATUS_TEXT = {
    "in_transit": "On its way",
    "paid": "Paid",
    "failed": "Failed: back in your balance",
}


@bp.get("/payouts/<uuid:payout_id>")
@login_required
def payout(payout_id: UUID) -> ResponseReturnValue:
    """One of the affiliate's payouts with the commissions it settled."""
    mine = _mine(suspended_too=True)
    if mine is None:
        return _not_yet()
    found = numbers.own_payout(mine, payout_id)
    if found is None:
        abort(404)
    return (
        render_template(
            f"{TEMPLATES}/payout.html",
            payout=found,
            status_text=STATUS_TEXT.get(found.status.value, found.status.value),
            rows=numbers.payout_commissions(found),
        ),
        200,
        PRIVATE,
    )
