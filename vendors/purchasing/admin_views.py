"""Purchase orders in the back office, /shop/<slug>/admin/purchasing/orders (``purchasing``):
the list (by status, by vendor, keyset pages), a new draft, one PO's page, its PDF and
printable page. The PO's actions are in ``action_views`` (same blueprint).

Rows are read by id through the tenant guard: another shop's PO answers 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from mall.money import format_money, to_decimal_text
from mall.orders.carriers import carrier_name
from mall.pagination import decode_position
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.resolution import shop_blueprint
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseStatus, Vendor
from vendors.purchasing import forms, queries, rendering, services, wording
from vendors.purchasing import status as machine

bp = shop_blueprint(
    "purchasing",
    __name__,
    admin=True,
    url_prefix="/admin/purchasing/orders",
    template_folder="../templates",
)
PERMISSION = "purchasing.manage"
STATUS_VALUES = frozenset(s.value for s in PurchaseStatus)
TABS = [
    ("", "All"),
    *[(s.value, machine.label(s).capitalize()) for s in PurchaseStatus],
]


@bp.context_processor
def purchasing_helpers() -> dict[str, Any]:
    """What the purchasing templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "po_label": machine.label,
        "po_allowed": machine.allowed,
        "money": format_money,
        "decimal_text": to_decimal_text,
        "carrier_name": carrier_name,
        "po_count": wording.count,
        "po_quantity": wording.quantity,
        "po_per": wording.per,
    }


def po_or_404(po_id: UUID) -> PurchaseOrder:
    """The shop's PO with this id, or a 404."""
    found = services.get_purchase_order(po_id)
    if found is None:
        abort(404)
    return found


def _uuid_arg(name: str) -> UUID | None:
    try:
        return UUID(request.args.get(name) or "")
    except ValueError:
        return None


@bp.get("")
@requires(PERMISSION)
def orders() -> ResponseReturnValue:
    """The shop's purchase orders, newest first: a tab per status, a vendor filter."""
    status_arg = request.args.get("status") or ""
    status = PurchaseStatus(status_arg) if status_arg in STATUS_VALUES else None
    vendor_id = _uuid_arg("vendor")
    listing = queries.po_list(
        status=status,
        vendor_id=vendor_id,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    return render_template(
        "vendors/purchasing/list.html",
        listing=listing,
        tabs=TABS,
        status=status.value if status else "",
        vendor_id=vendor_id,
        vendors=queries.list_vendors(),
    )


def _vendor_choices() -> list[tuple[str, str]]:
    return [(str(v.id), v.name) for v in queries.active_vendors()]


def _new_page(form: forms.NewPoForm, *, status: int = 200) -> ResponseReturnValue:
    return render_template("vendors/purchasing/new.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
@requires(PERMISSION)
def new_order() -> ResponseReturnValue:
    """A new draft PO to an active vendor; its lines are added on its page."""
    choices = _vendor_choices()
    if request.method == "GET":
        return _new_page(forms.NewPoForm.fresh(choices, vendor=request.args.get("vendor", "")))
    form = forms.NewPoForm()
    form.vendor.choices = [("", "Choose a vendor…"), *choices]
    if not form.validate():
        return _new_page(form, status=422)
    po_id = UUID(form.key.data)
    vendor = services.get_vendor(form.vendor.data)
    if vendor is None:
        form.vendor.errors = ["That vendor is gone: choose another."]
        return _new_page(form, status=409)
    try:
        with db.session.begin_nested():
            po = services.create_purchase_order(
                vendor, lines=[], actor_id=current_user.id, note=form.note.data, po_id=po_id
            )
        db.session.commit()
    except IntegrityError:  # the same form sent twice: its PO exists
        db.session.rollback()
        return redirect(url_for("purchasing.order", po_id=po_id), 303)
    except PurchasingError as error:
        db.session.rollback()
        form.vendor.errors = [str(error)]
        return _new_page(form, status=409)
    return redirect(url_for("purchasing.order", po_id=po.id), 303)


def po_page(
    po: PurchaseOrder,
    *,
    error: str | None = None,
    status: int = 200,
    receive_form: forms.ReceiveForm | None = None,
    received: forms.Typed | None = None,
    lines_typed: forms.Typed | None = None,
    removing: list | None = None,
    add_form: forms.AddLineForm | None = None,
    note_form: forms.NoteForm | None = None,
    confirming: wording.Confirmation | None = None,
) -> ResponseReturnValue:
    """The PO's page; the forms as typed (and ``error``) when an action was refused;
    ``confirming``: the question asked before closing short or cancelling."""
    detail = queries.po_detail(po)
    add_form = add_form or forms.AddLineForm(formdata=None)
    add_form.variant.choices = [
        ("", "Choose a product…"),
        *queries.line_choices(detail.vendor, leave_out={line.variant_id for line in detail.lines}),
    ]
    return render_template(
        "vendors/purchasing/order.html",
        detail=detail,
        po=po,
        error=error,
        action_form=forms.ActionForm(formdata=None),
        resend_form=forms.ResendForm(formdata=None, link_version=po.link_version),
        receive_form=receive_form or forms.ReceiveForm.fresh(),
        received=received or forms.Typed(),
        lines_form=forms.LinesForm(formdata=None),
        lines_typed=lines_typed or _typed_lines(detail),
        removing=removing or [],
        add_form=add_form,
        note_form=note_form or forms.NoteForm(formdata=None, note=po.note),
        confirming=confirming,
    ), status


def _typed_lines(detail: queries.PoDetail) -> forms.Typed:
    typed = forms.Typed()
    for line in detail.lines:
        typed.values[f"packs-{line.id}"] = str(line.quantity_ordered)
        typed.values[f"cost-{line.id}"] = to_decimal_text(line.unit_cost)
    return typed


@bp.get("/<uuid:po_id>")
@requires(PERMISSION)
def order(po_id: UUID) -> ResponseReturnValue:
    """One PO: its lines (ordered, received, billed, closed), actions and receipts."""
    return po_page(po_or_404(po_id))


@bp.get("/<uuid:po_id>/pdf")
@requires(PERMISSION)
def pdf(po_id: UUID) -> ResponseReturnValue:
    """The PO as the vendor gets it, as a PDF download."""
    return rendering.pdf_response(po_or_404(po_id))


@bp.get("/<uuid:po_id>/document")
@requires(PERMISSION)
def document(po_id: UUID) -> ResponseReturnValue:
    """The PO as the vendor gets it, as a printable page."""
    po = po_or_404(po_id)
    return rendering.html_response(
        po,
        back_url=url_for("purchasing.order", po_id=po.id),
        pdf_url=url_for("purchasing.pdf", po_id=po.id),
    )


def vendor_section(vendor: Vendor) -> str:
    """The vendor page's block: its latest purchase orders and a link to all of them."""
    pos = queries.recent_of_vendor(vendor)
    return render_template(
        "vendors/purchasing/_vendor_section.html",
        vendor=vendor,
        pos=pos,
        totals=queries.po_totals([po.id for po in pos]),
        po_label=machine.label,
        money=format_money,
    )
