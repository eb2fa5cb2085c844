"""Vendors and what each supplies: the list, a vendor's page, its form, archive / restore, and
the vendor products on the vendor's page (add, edit, make preferred, remove).

A view validates its form, calls one service, commits or rolls back, flashes and
redirects (303); a refused form is shown again with what was typed and the message at
its field (422). Another shop's ids answer 404.
"""

from __future__ import annotations

from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import Form

from mall.countries import country_name
from mall.errors import get_or_404
from mall.extensions import db
from mall.money import format_money
from mall.pagination import page_number
from mall.shops.permissions import requires
from vendors.directory import forms, products, services
from vendors.directory.blueprint import bp, has_endpoint
from vendors.directory.sections import vendor_sections
from vendors.errors import PurchasingError
from vendors.models import Vendor, VendorProduct, VendorStatus

PER_PAGE = 25
PRODUCTS_PER_PAGE = 50
PERMISSION = "purchasing.manage"


def _refused(form: Form, error: PurchasingError) -> None:
    """Put the service's message at its field (or above the form)."""
    target = getattr(form, getattr(error, "field", ""), None)
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash(str(error), "error")


def _status_arg() -> VendorStatus:
    try:
        return VendorStatus(request.args.get("status", VendorStatus.ACTIVE.value))
    except ValueError:
        return VendorStatus.ACTIVE


@bp.get("/vendors")
@requires(PERMISSION)
def vendors() -> ResponseReturnValue:
    """The shop's vendors by name: active or archived, searched by company name."""
    status = _status_arg()
    search = (request.args.get("q") or "").strip()[: services.MAX_SEARCH]
    listing = services.vendor_list(
        search=search, status=status, page=page_number(request.args.get("page")), per_page=PER_PAGE
    )
    return render_template(
        "vendors/directory/list.html", listing=listing, status=status.value, search=search
    )


@bp.route("/vendors/new", methods=["GET", "POST"])
@requires(PERMISSION)
def new_vendor() -> ResponseReturnValue:
    """Add a vendor."""
    if request.method == "GET":
        return render_template("vendors/directory/form.html", form=forms.VendorForm.of(None))
    form = forms.VendorForm()
    if form.validate():
        try:
            vendor = services.create_vendor(form.to_input(), actor_id=current_user.id)
            db.session.commit()
        except PurchasingError as error:
            db.session.rollback()
            _refused(form, error)
        else:
            flash(f"{vendor.name} added: now add the products it supplies.", "success")
            return redirect(url_for("vendors_directory.vendor", vendor_id=vendor.id), 303)
    return render_template("vendors/directory/form.html", form=form), 422


def _vendor_page(
    vendor: Vendor, *, supply_form: forms.SupplyForm | None = None, status: int = 200
) -> ResponseReturnValue:
    supplied = products.products_of_vendor(
        vendor, page=page_number(request.args.get("page")), per_page=PRODUCTS_PER_PAGE
    )
    address = services.vendor_address(vendor)
    return render_template(
        "vendors/directory/vendor.html",
        vendor=vendor,
        address=address,
        country=country_name(address["country"]) if address["country"] else "",
        supplied=supplied,
        supply_form=supply_form or forms.SupplyForm(formdata=None),
        action_form=forms.ActionForm(formdata=None),
        sections=vendor_sections(vendor),
        has_endpoint=has_endpoint,
        money=format_money,
    ), status


@bp.get("/vendors/<uuid:vendor_id>")
@requires(PERMISSION)
def vendor(vendor_id: UUID) -> ResponseReturnValue:
    """A vendor: contact, terms, the products it supplies, its other purchasing blocks."""
    return _vendor_page(get_or_404(services.get_vendor, vendor_id))


@bp.route("/vendors/<uuid:vendor_id>/edit", methods=["GET", "POST"])
@requires(PERMISSION)
def edit_vendor(vendor_id: UUID) -> ResponseReturnValue:
    """Change a vendor's details."""
    found = get_or_404(services.get_vendor, vendor_id)
    if request.method == "GET":
        return render_template(
            "vendors/directory/form.html", form=forms.VendorForm.of(found), vendor=found
        )
    form = forms.VendorForm()
    if form.validate():
        try:
            services.update_vendor(found, form.to_input(), actor_id=current_user.id)
            db.session.commit()
        except PurchasingError as error:
            db.session.rollback()
            _refused(form, error)
        else:
            flash(f"{found.name} saved.", "success")
            return redirect(url_for("vendors_directory.vendor", vendor_id=found.id), 303)
    return render_template("vendors/directory/form.html", form=form, vendor=found), 422


def _back(vendor_id: UUID) -> ResponseReturnValue:
    return redirect(url_for("vendors_directory.vendor", vendor_id=vendor_id), 303)


@bp.post("/vendors/<uuid:vendor_id>/archive")
@requires(PERMISSION)
def archive_vendor(vendor_id: UUID) -> ResponseReturnValue:
    """Archive a vendor: kept with its history, offered for nothing new."""
    found = get_or_404(services.get_vendor, vendor_id)
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _back(found.id)
    if services.archive_vendor(found, actor_id=current_user.id):
        db.session.commit()
        flash(f"{found.name} archived: it is no longer offered for new orders.", "success")
    else:
        db.session.rollback()
        flash(f"{found.name} was already archived: nothing changed.", "info")
    return _back(found.id)


@bp.post("/vendors/<uuid:vendor_id>/restore")
@requires(PERMISSION)
def restore_vendor(vendor_id: UUID) -> ResponseReturnValue:
    """Make an archived vendor active again."""
    found = get_or_404(services.get_vendor, vendor_id)
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _back(found.id)
    if services.restore_vendor(found, actor_id=current_user.id):
        db.session.commit()
        flash(f"{found.name} is active again.", "success")
    else:
        db.session.rollback()
        flash(f"{found.name} was already active: nothing changed.", "info")
    return _back(found.id)


@bp.post("/vendors/<uuid:vendor_id>/products")
@requires(PERMISSION)
def add_product(vendor_id: UUID) -> ResponseReturnValue:
    """Record a product the vendor supplies (picked by the shop's SKU)."""
    found = get_or_404(services.get_vendor, vendor_id)
    form = forms.SupplyForm()
    if form.validate():
        try:
            item = products.add_vendor_product(
                found, sku=form.sku.data, terms=form.terms(), actor_id=current_user.id
            )
            db.session.commit()
        except PurchasingError as error:
            db.session.rollback()
            _refused(form, error)
        else:
            flash(f"Added: {found.name} supplies {form.sku.data}.", "success")
            return redirect(
                url_for("vendors_directory.vendor", vendor_id=found.id, _anchor=f"vp-{item.id}"),
                303,
            )
    return _vendor_page(found, supply_form=form, status=422)


def _item_back(item: VendorProduct) -> ResponseReturnValue:
    return redirect(
        url_for("vendors_directory.vendor", vendor_id=item.vendor_id, _anchor="supplied"), 303
    )


@bp.route("/vendor-products/<uuid:vendor_product_id>/edit", methods=["GET", "POST"])
@requires(PERMISSION)
def edit_product(vendor_product_id: UUID) -> ResponseReturnValue:
    """Change what a vendor product costs, its pack size, minimum, drop-ship, preference."""
    item = get_or_404(products.get_vendor_product, vendor_product_id)
    found = get_or_404(services.get_vendor, item.vendor_id)
    variant = products.variant_of(item)
    if request.method == "GET":
        form = forms.SupplyForm.of(item)
        return render_template(
            "vendors/directory/supply_form.html",
            form=form,
            item=item,
            vendor=found,
            variant=variant,
        )
    form = forms.SupplyForm(adding=False)
    if form.validate():
        try:
            products.update_vendor_product(item, terms=form.terms(), actor_id=current_user.id)
            db.session.commit()
        except PurchasingError as error:
            db.session.rollback()
            _refused(form, error)
        else:
            flash(f"Saved: {variant.sku} from {found.name}.", "success")
            return _item_back(item)
    return render_template(
        "vendors/directory/supply_form.html", form=form, item=item, vendor=found, variant=variant
    ), 422


@bp.post("/vendor-products/<uuid:vendor_product_id>/prefer")
@requires(PERMISSION)
def prefer_product(vendor_product_id: UUID) -> ResponseReturnValue:
    """Make this vendor the product's preferred one (the previous one stops being it)."""
    item = get_or_404(products.get_vendor_product, vendor_product_id)
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _item_back(item)
    try:
        changed = products.set_preferred(item, actor_id=current_user.id)
        db.session.commit()
    except PurchasingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _item_back(item)
    flash(
        "Preferred vendor set: reorder suggestions order from it."
        if changed
        else "It already was the preferred vendor: nothing changed.",
        "success" if changed else "info",
    )
    back = request.form.get("back")
    if back == "product":
        variant = products.variant_of(item)
        return redirect(
            url_for("vendors_directory.product_vendors", product_id=variant.product_id), 303
        )
    return _item_back(item)


@bp.post("/vendor-products/<uuid:vendor_product_id>/remove")
@requires(PERMISSION)
def remove_product(vendor_product_id: UUID) -> ResponseReturnValue:
    """Stop recording that the vendor supplies this product (open POs keep their copy)."""
    item = get_or_404(products.get_vendor_product, vendor_product_id)
    vendor_id = item.vendor_id
    if not forms.ActionForm().validate():
        flash(forms.EXPIRED, "error")
        return _back(vendor_id)
    still = products.remove_vendor_product(item, actor_id=current_user.id)
    db.session.commit()
    note = (
        f" {still} open purchase order{'s' if still != 1 else ''} still name it: "
        "they keep the SKU, pack size and cost they were made with."
        if still
        else ""
    )
    flash(f"Removed from this vendor's products.{note}", "success")
    return redirect(
        url_for("vendors_directory.vendor", vendor_id=vendor_id, _anchor="supplied"), 303
    )
