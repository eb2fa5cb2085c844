"""The operator's commission pages at /admin/commission (blueprint ``commission_console``).

The mall-wide settings (default rate, shipping, tax on the fee) and the shop list
on one page; each shop's rate and category overrides on its own. Operators only.
Actions validate a form, call one service, commit, flash and redirect (303); bad
input re-renders with its message and 400, a refused change with 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.catalog import categories
from mall.console.services import get_shop
from mall.errors import get_or_404
from mall.extensions import db
from mall.ledger import commission_admin as admin
from mall.ledger import forms
from mall.ledger.commission import (
    SHOP_RULE,
    CommissionError,
    commission_settings,
    percent_text,
    shop_rates,
)
from mall.ledger.console_views import TEMPLATES, saved, shop_query
from mall.pagination import page_number
from tenants.audit import request_actor
from tenants.models import Tenant

bp = Blueprint(
    "commission_console", __name__, url_prefix="/admin/commission", template_folder=TEMPLATES
)

NO_CATEGORY = ""


def _percent(rate_bp: int | None) -> str:
    return "" if rate_bp is None else percent_text(rate_bp)


# ---------------------------------------------------------------- mall-wide


def _index_page(form: forms.CommissionSettingsForm, status: int = 200) -> ResponseReturnValue:
    query = shop_query()
    page = admin.shops_with_rates(query=query, page=page_number(request.args.get("page")))
    return render_template(
        "ledger/console/commission.html",
        form=form,
        page=page,
        query=query,
        settings=commission_settings(),
        percent=percent_text,
        active="commission_console.index",
    ), status


@bp.route("", methods=["GET", "POST"])
@operator_required
def index() -> ResponseReturnValue:
    """The mall default rate, shipping, the tax on the fee; and every shop's rate."""
    if request.method == "GET":
        current = commission_settings()
        form = forms.CommissionSettingsForm(
            formdata=None,
            default_percent=percent_text(current.default_bp),
            include_shipping=current.include_shipping,
            fee_tax_percent=percent_text(current.fee_tax_bp),
        )
        return _index_page(form)
    form = forms.CommissionSettingsForm()
    if not form.validate():
        return _index_page(form, 400)
    try:
        changed = admin.update_commission_settings(
            default_bp=form.default_bp,
            include_shipping=form.include_shipping.data,
            fee_tax_bp=form.fee_tax_bp,
            **request_actor(),
        )
    except CommissionError as refused:
        db.session.rollback()
        form.default_percent.errors = [str(refused)]
        return _index_page(form, 409)
    return saved(
        changed,
        done="Commission settings saved. They apply to orders paid from now on.",
        unchanged="The commission settings already were so: nothing changed.",
        endpoint="commission_console.index",
    )


# ---------------------------------------------------------------- one shop


def _category_choices() -> list[tuple[str, str]]:
    choices = [(NO_CATEGORY, "— Choose a category —")]
    for node in categories.flatten(categories.category_tree()):
        choices.append((str(node.id), f"{'· ' * node.depth}{node.name}"))
    return choices


def _category_form(shop: Tenant) -> forms.CategoryRateForm:
    """The add/change form, filled for ``?category=<id>`` (a "Change" link)."""
    chosen = _uuid(request.args.get("category"))
    rate = admin.category_rate(shop.id, chosen) if chosen else None
    form = forms.CategoryRateForm(
        formdata=None,
        category_id=str(chosen) if rate is not None else NO_CATEGORY,
        category_percent=_percent(rate),
    )
    form.category_id.choices = _category_choices()
    return form


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw or "")
    except ValueError:
        return None


def _shop_page(shop: Tenant, status: int = 200, **context: Any) -> ResponseReturnValue:
    rates = shop_rates(shop.id)
    own = rates.shop.rate_bp if rates.shop.rule == SHOP_RULE else None
    context.setdefault("rate_form", forms.ShopRateForm(formdata=None, shop_percent=_percent(own)))
    context.setdefault("category_form", _category_form(shop))
    return render_template(
        "ledger/console/commission_shop.html",
        shop=shop,
        rates=rates,
        own_rate=own,
        default_bp=commission_settings().default_bp,
        overrides=admin.category_rates(shop.id, page=page_number(request.args.get("page"))),
        confirm_form=forms.ConfirmForm(formdata=None),
        percent=percent_text,
        active="commission_console.index",
        **context,
    ), status


def _done(shop: Tenant, changed: bool, done: str, unchanged: str) -> ResponseReturnValue:
    return saved(
        changed, done=done, unchanged=unchanged, endpoint="commission_console.shop", shop_id=shop.id
    )


def _refused(shop: Tenant, error: CommissionError, **context: Any) -> ResponseReturnValue:
    db.session.rollback()
    return _shop_page(shop, 409, error=str(error), **context)


@bp.get("/shops/<uuid:shop_id>")
@operator_required
def shop(shop_id: UUID) -> ResponseReturnValue:
    """One shop's rate and category overrides."""
    return _shop_page(get_or_404(get_shop, shop_id))


@bp.post("/shops/<uuid:shop_id>/rate")
@operator_required
def shop_rate(shop_id: UUID) -> ResponseReturnValue:
    """Set the shop's own rate; empty lets the mall default apply."""
    shop = get_or_404(get_shop, shop_id)
    form = forms.ShopRateForm()
    if not form.validate():
        return _shop_page(shop, 400, rate_form=form)
    try:
        changed = admin.set_shop_rate(shop, rate_bp=form.rate_bp, **request_actor())
    except CommissionError as refused:
        return _refused(shop, refused, rate_form=form)
    if form.rate_bp is None:
        done = f"{shop.name} now pays the mall default commission."
        unchanged = f"{shop.name} already pays the mall default commission: nothing changed."
    else:
        rate = percent_text(form.rate_bp)
        done = f"{shop.name}'s commission is now {rate}%."
        unchanged = f"{shop.name}'s commission already is {rate}%: nothing changed."
    return _done(shop, changed, done, unchanged)


@bp.post("/shops/<uuid:shop_id>/categories")
@operator_required
def category_rate(shop_id: UUID) -> ResponseReturnValue:
    """Add a category override, or change the one the category has."""
    shop = get_or_404(get_shop, shop_id)
    form = forms.CategoryRateForm()
    form.category_id.choices = _category_choices()
    if not form.validate():
        return _shop_page(shop, 400, category_form=form)
    try:
        changed = admin.set_category_rate(
            shop,
            category_id=UUID(form.category_id.data),
            rate_bp=form.rate_bp,
            **request_actor(),
        )
    except CommissionError as refused:
        return _refused(shop, refused, category_form=form)
    name = dict(form.category_id.choices)[form.category_id.data].lstrip("· ")
    rate = percent_text(form.rate_bp)
    return _done(
        shop,
        changed,
        f"{shop.name} pays {rate}% on {name} now.",
        f"{shop.name} already pays {rate}% on {name}: nothing changed.",
    )


@bp.post("/shops/<uuid:shop_id>/categories/<uuid:category_id>/remove")
@operator_required
def remove_category_rate(shop_id: UUID, category_id: UUID) -> ResponseReturnValue:
    """Remove a category override: the next rule applies to that category again."""
    shop = get_or_404(get_shop, shop_id)
    if not forms.ConfirmForm().validate():
        abort(400)
    try:
        changed = admin.remove_category_rate(shop, category_id=category_id, **request_actor())
    except CommissionError as refused:
        return _refused(shop, refused)
    return _done(
        shop,
        changed,
        "The category override is removed.",
        "That category has no override: nothing changed.",
    )
