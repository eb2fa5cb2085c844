"""A shop's disputes in its back office, /shop/<slug>/admin/disputes (``disputes_admin``).

Each row is the shop's share of a chargeback on a checkout (``DisputeShare``,
tenant-scoped: another shop's id answers 404): the order, the amount frozen,
the reason and Stripe's deadline. The shop writes its evidence on the share's
page; the operator forwards the shops' evidence to Stripe. Everything here
needs ``orders.manage``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger import dispute_evidence, disputes
from mall.ledger.admin_views import TEMPLATES, member_can
from mall.ledger.errors import LedgerError
from mall.ledger.models import DisputeShare
from mall.ledger.money_forms import EvidenceForm
from mall.money import format_money
from mall.pagination import page_number
from mall.shops.permissions import requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "disputes_admin",
    __name__,
    admin=True,
    url_prefix="/admin/disputes",
    template_folder=TEMPLATES,
)

PER_PAGE = 25


@bp.context_processor
def dispute_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "status_label": lambda status: disputes.STATUS_LABELS.get(status, str(status)),
        "OPEN": disputes.OPEN,
    }


@bp.get("/")
@requires("orders.manage")
def index() -> ResponseReturnValue:
    """The shop's disputes, newest first."""
    listing = dispute_evidence.shop_disputes(
        page=page_number(request.args.get("page")), per_page=PER_PAGE
    )
    return render_template("ledger/admin/disputes.html", page=listing)


@bp.get("/<uuid:share_id>")
@requires("orders.manage")
def dispute(share_id: UUID) -> ResponseReturnValue:
    """One dispute share: what is frozen, the deadline, the evidence form."""
    share = get_or_404(disputes.get_share, share_id)
    return _page(share, EvidenceForm(formdata=None, evidence=share.evidence))


def _page(share: DisputeShare, form: EvidenceForm, status: int = 200) -> ResponseReturnValue:
    return render_template("ledger/admin/dispute.html", share=share, form=form), status


@bp.post("/<uuid:share_id>/evidence")
@requires("orders.manage")
def evidence(share_id: UUID) -> ResponseReturnValue:
    """Store the shop's evidence (it may change it until the platform sends it on)."""
    share = get_or_404(disputes.get_share, share_id)
    form = EvidenceForm()
    if not form.validate():
        return _page(share, form, 422)
    try:
        changed = dispute_evidence.submit_evidence(
            share, form.evidence.data, actor_id=current_user.id
        )
    except LedgerError as refused:
        db.session.rollback()
        form.evidence.errors = [str(refused)]
        return _page(get_or_404(disputes.get_share, share_id), form, 409)
    db.session.commit()
    if changed:
        flash("Evidence saved. The platform sends it to the card network.", "success")
    else:
        flash("This evidence was already saved: nothing changed.", "info")
    return redirect(url_for("disputes_admin.dispute", share_id=share_id), 303)
