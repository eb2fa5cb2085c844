"""A product's vendors, the reorder suggestions with "Create draft POs", and the shop's
purchasing settings (all ``purchasing.manage``)."""

from __future__ import annotations

from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.shops.permissions import requires
from vendors.directory import forms, products, reorder, settings
from vendors.directory.blueprint import bp, has_endpoint
from vendors.errors import PurchasingError

PERMISSION = "purchasing.manage"


@bp.get("/products/<uuid:product_id>/vendors")
@requires(PERMISSION)
def product_vendors(product_id: UUID) -> ResponseReturnValue:
    """Who supplies each variant of a product, and which vendor is preferred."""
    product = get_or_404(products.get_product, product_id)
    return render_template(
        "vendors/directory/product_vendors.html",
        product=product,
        supplied=products.vendors_of_product(product),
        action_form=forms.ActionForm(formdata=None),
        money=format_money,
    )


@bp.get("/reorder")
@requires(PERMISSION)
def reorder_page() -> ResponseReturnValue:
    """Variants at or below their low-stock threshold, grouped by preferred vendor."""
    return render_template(
        "vendors/directory/reorder.html",
        found=reorder.reorder_suggestions(),
        action_form=forms.ActionForm(formdata=None),
        money=format_money,
        has_endpoint=has_endpoint,
    )


def _vendor_arg() -> UUID | None:
    try:
        return UUID(request.form.get("vendor") or "")
    except ValueError:
        return None


def _after_drafts(made: list) -> ResponseReturnValue:
    """To the PO made (one), the draft POs (several), or back (none)."""
    if len(made) == 1 and has_endpoint("purchasing.order"):
        return redirect(url_for("purchasing.order", po_id=made[0].id), 303)
    if has_endpoint("purchasing.orders"):
        return redirect(url_for("purchasing.orders", status="draft"), 303)
    return redirect(url_for("vendors_directory.reorder_page"), 303)


@bp.post("/reorder")
@requires(PERMISSION)
def create_drafts() -> ResponseReturnValue:
    """One draft PO per preferred vendor (or only the vendor named) from the suggestions.

    A repeated click makes nothing new: drafts count as on order (see ``reorder``).
    """
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return redirect(url_for("vendors_directory.reorder_page"), 303)
    try:
        made = reorder.create_draft_orders(actor_id=current_user.id, vendor_id=_vendor_arg())
        db.session.commit()
    except PurchasingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("vendors_directory.reorder_page"), 303)
    if not made:
        flash("Nothing left to order: the drafts already made cover the suggestions.", "info")
        return _after_drafts(made)
    numbers = ", ".join(po.number for po in made)
    plural = "s" if len(made) != 1 else ""
    flash(f"Draft purchase order{plural} made: {numbers}. Review and send them.", "success")
    return _after_drafts(made)


@bp.route("/settings", methods=["GET", "POST"])
@requires(PERMISSION)
def settings_page() -> ResponseReturnValue:
    """The shop's purchasing settings: the over-receipt tolerance."""
    if request.method == "GET":
        form = forms.SettingsForm(
            formdata=None, over_receipt=forms.percent_text(settings.over_receipt_bp())
        )
        return render_template("vendors/directory/settings.html", form=form)
    form = forms.SettingsForm()
    if form.validate():
        try:
            settings.save_settings(over_receipt_bp=form.basis_points, actor_id=current_user.id)
            db.session.commit()
        except PurchasingError as error:
            db.session.rollback()
            form.over_receipt.errors = [str(error)]
        else:
            flash("Purchasing settings saved.", "success")
            return redirect(url_for("vendors_directory.settings_page"), 303)
    return render_template("vendors/directory/settings.html", form=form), 422
