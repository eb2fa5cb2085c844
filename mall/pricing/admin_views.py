"""A shop's shipping and tax back office at /shop/<slug>/admin/shipping and /admin/tax.

Members with ``shop.view`` see the lists; changes need ``shop.settings``. Objects are
read by id through the tenant guard (``services.get_*``), so another shop's ids answer
404. Bad input re-renders the form with its messages and a 400; nothing is saved.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.countries import country_name
from mall.errors import get_or_404
from mall.extensions import db
from mall.form_flow import form_round_trip
from mall.money import format_money
from mall.pagination import page_number
from mall.pricing import forms, services
from mall.pricing.models import ShippingMethod, TaxRate
from mall.shops.permissions import can, requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint("pricing_admin", __name__, admin=True, template_folder="templates")

PER_PAGE = 25


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


@bp.context_processor
def pricing_helpers() -> dict[str, Any]:
    """What the pages (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "country_name": country_name,
        "kind_label": dict(forms.KINDS).get,
        "class_label": dict(services.RATE_CLASSES).get,
    }


def _back(endpoint: str, **values: Any) -> ResponseReturnValue:
    return redirect(url_for(endpoint, **values), 303)


# ---------------------------------------------------------------- shipping methods


@bp.get("/admin/shipping")
@requires("shop.view")
def shipping() -> ResponseReturnValue:
    """The shop's shipping methods."""
    page = services.method_list(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template("pricing/shipping.html", page=page, active_form=forms.ActiveForm())


@bp.route("/admin/shipping/new", methods=["GET", "POST"])
@requires("shop.settings")
def new_method() -> ResponseReturnValue:
    """Add a shipping method."""
    return _method_form(None)


@bp.route("/admin/shipping/<uuid:method_id>", methods=["GET", "POST"])
@requires("shop.settings")
def edit_method(method_id: UUID) -> ResponseReturnValue:
    """Edit a shipping method, its countries and weight tiers."""
    return _method_form(get_or_404(services.get_method, method_id))


def _method_form(method: ShippingMethod | None) -> ResponseReturnValue:
    form = forms.MethodForm()
    return form_round_trip(
        form,
        method,
        template="pricing/method_form.html",
        shown_as="method",
        create=services.create_method,
        update=services.update_method,
        refusal=services.InvalidInput,
        taken=(form.name, "Another change used this name; please try again."),
        named=lambda data: f"“{data.name.strip()}”",
        back_to=url_for("pricing_admin.shipping"),
    )


@bp.post("/admin/shipping/<uuid:method_id>/active")
@requires("shop.settings")
def method_active(method_id: UUID) -> ResponseReturnValue:
    """Stop offering a method, or offer it again (the form says which: repeating is a no-op)."""
    method = get_or_404(services.get_method, method_id)
    form = forms.ActiveForm()
    if not form.validate():
        flash("That change was not understood; please use the buttons.", "error")
        return _back("pricing_admin.shipping")
    active = form.active.data == "1"
    name = method.name
    changed = services.set_method_active(method, active=active)
    db.session.commit()
    state = "offered to customers" if active else "no longer offered"
    flash(f"“{name}” is {state}." if changed else f"“{name}” already was {state}.", "success")
    return _back("pricing_admin.shipping")


@bp.route("/admin/shipping/<uuid:method_id>/delete", methods=["GET", "POST"])
@requires("shop.settings")
def delete_method(method_id: UUID) -> ResponseReturnValue:
    """Ask, then delete a method (orders keep their own copy of it)."""
    method = get_or_404(services.get_method, method_id)
    form = forms.ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        name = method.name
        services.delete_method(method)
        db.session.commit()
        flash(f"“{name}” is deleted.", "success")
        return _back("pricing_admin.shipping")
    return render_template("pricing/method_delete.html", method=method, form=form)


# ---------------------------------------------------------------- tax


@bp.get("/admin/tax")
@requires("shop.view")
def tax() -> ResponseReturnValue:
    """The shop's tax rates and whether its prices include tax."""
    return _tax_page(forms.TaxSettingsForm(prices_include_tax=services.prices_include_tax()))


def _tax_page(settings_form: forms.TaxSettingsForm, status: int = 200) -> ResponseReturnValue:
    page = services.rate_list(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template(
        "pricing/tax.html", page=page, settings_form=settings_form, delete_form=forms.ConfirmForm()
    ), status


@bp.post("/admin/tax/settings")
@requires("shop.settings")
def tax_settings() -> ResponseReturnValue:
    """Say whether the shop's prices include tax."""
    form = forms.TaxSettingsForm()
    if not form.validate():
        return _tax_page(form, 400)
    include = bool(form.prices_include_tax.data)
    changed = services.set_prices_include_tax(include)
    db.session.commit()
    said = "include tax" if include else "do not include tax"
    flash(f"Your prices {said}." if changed else f"Your prices already {said}.", "success")
    return _back("pricing_admin.tax")


@bp.route("/admin/tax/new", methods=["GET", "POST"])
@requires("shop.settings")
def new_rate() -> ResponseReturnValue:
    """Add a tax rate for a tax class and destination country."""
    return _rate_form(None)


@bp.route("/admin/tax/<uuid:rate_id>", methods=["GET", "POST"])
@requires("shop.settings")
def edit_rate(rate_id: UUID) -> ResponseReturnValue:
    """Change a tax rate."""
    return _rate_form(get_or_404(services.get_rate, rate_id))


def _rate_form(rate: TaxRate | None) -> ResponseReturnValue:
    form = forms.RateForm()
    return form_round_trip(
        form,
        rate,
        template="pricing/rate_form.html",
        shown_as="rate",
        create=services.add_rate,
        update=services.update_rate,
        refusal=services.InvalidInput,
        taken=(form.country, "Another change added this rate; please check the list."),
        named=lambda data: f"The rate for {country_name(data.country.upper())}",
        back_to=url_for("pricing_admin.tax"),
    )


@bp.post("/admin/tax/<uuid:rate_id>/delete")
@requires("shop.settings")
def delete_rate(rate_id: UUID) -> ResponseReturnValue:
    """Delete a tax rate."""
    rate = get_or_404(services.get_rate, rate_id)
    if not forms.ConfirmForm().validate():
        abort(400)
    where = country_name(rate.country)
    services.delete_rate(rate)
    db.session.commit()
    flash(f"The rate for {where} is deleted.", "success")
    return _back("pricing_admin.tax")
