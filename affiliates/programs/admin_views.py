"""A shop's affiliate terms and product rates, /shop/<slug>/admin/affiliates/
(blueprint ``affiliate_terms_admin``). Owners and managers (``shop.settings``).

- ``/``: in or out of the mall program, the shop's own rate, whether shipping counts,
  lifetime attribution, a private program;
- ``/products``: the products with a rate of their own (a page at a time), a search to
  pick a product, the form to set its rate; ``/products/<id>/remove`` takes it away.

Bad input re-renders with what was typed and its message (400); another shop's
product answers 404. Saving what is already so, or removing a rate twice, changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from affiliates.errors import AffiliateError
from affiliates.models import RateKind
from affiliates.programs import terms as services
from affiliates.programs.forms import ConfirmForm, ProductRateForm, TermsForm
from affiliates.programs.rates import SHOP, Rate, row_rate
from affiliates.programs.settings import program_settings
from mall.catalog.models import Product
from mall.catalog.services import get_product
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.money import format_money, to_decimal_text
from mall.pagination import page_number
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.audit import request_actor
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "affiliate_terms_admin",
    __name__,
    admin=True,
    url_prefix="/admin/affiliates",
    template_folder="../templates",
)

PER_PAGE = 25


@bp.context_processor
def terms_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop"), "rate_text": rate_text}


def rate_text(rate: Rate | None) -> str:
    """``5%`` or ``$2.00 per item``."""
    if rate is None:
        return ""
    if rate.kind is RateKind.FIXED:
        return f"{format_money(rate.fixed)} per item"
    return f"{percent_text(rate.bp)}%"


def _typed(rate: Rate | None) -> str:
    if rate is None:
        return ""
    return to_decimal_text(rate.fixed) if rate.kind is RateKind.FIXED else percent_text(rate.bp)


# ---------------------------------------------------------------- terms


def _terms_page(form: TermsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "affiliates/programs/terms.html", form=form, settings=program_settings()
    ), status


@bp.get("/")
@requires("shop.settings")
def terms() -> ResponseReturnValue:
    """The shop's terms for affiliates as they are now."""
    row = services.get_terms()
    mall = program_settings().rate_text
    if row is None:
        return _terms_page(TermsForm(formdata=None, mall_rate=mall, in_mall_program=True))
    own = row_rate(SHOP, row)
    return _terms_page(
        TermsForm(
            formdata=None,
            mall_rate=mall,
            in_mall_program=row.in_mall_program,
            rate_kind=row.rate_kind.value if row.rate_kind else "",
            rate_value=_typed(own),
            include_shipping=row.include_shipping,
            lifetime_attribution=row.lifetime_attribution,
            private_program=row.private_program,
        )
    )


@bp.post("/")
@requires("shop.settings")
def save_terms() -> ResponseReturnValue:
    """Save the shop's terms (what is already so changes nothing)."""
    form = TermsForm(mall_rate=program_settings().rate_text)
    if not form.validate():
        return _terms_page(form, 400)
    try:
        changed = services.save_terms(g.shop, **form.values, **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        form.rate_value.errors = [*form.rate_value.errors, str(refused)]
        return _terms_page(form, 400)
    db.session.commit()
    if changed:
        flash("Affiliate terms saved. They apply to sales from now on.", "success")
    else:
        flash("Your affiliate terms already were so: nothing changed.", "info")
    return redirect(url_for("affiliate_terms_admin.terms"), 303)


# ---------------------------------------------------------------- product rates


def _chosen(raw: str | None) -> Product | None:
    try:
        return get_product(UUID(raw or ""))
    except ValueError:
        return None


def _products_page(
    form: ProductRateForm, product: Product | None, status: int = 200
) -> ResponseReturnValue:
    query = (request.args.get("q") or "").strip()[: services.MAX_QUERY]
    return render_template(
        "affiliates/programs/products.html",
        form=form,
        product=product,
        query=query,
        found=services.find_products(query) if query else [],
        listing=services.product_rates(
            page=page_number(request.args.get("page")), per_page=PER_PAGE
        ),
        confirm_form=ConfirmForm(formdata=None),
        settings=program_settings(),
    ), status


@bp.get("/products")
@requires("shop.settings")
def products() -> ResponseReturnValue:
    """The products with their own rate; ``?q=`` finds one, ``?product=<id>`` fills the form."""
    product = _chosen(request.args.get("product"))
    rate = services.product_rate(product.id) if product else None
    form = ProductRateForm(
        formdata=None,
        product_id=str(product.id) if product else "",
        rate_kind=rate.kind.value if rate else RateKind.PERCENT.value,
        rate_value=_typed(rate),
    )
    return _products_page(form, product)


@bp.post("/products")
@requires("shop.settings")
def set_product_rate() -> ResponseReturnValue:
    """Give a product of this shop its own rate."""
    form = ProductRateForm()
    valid = form.validate()
    product = get_product(form.product_uuid) if form.product_uuid else None
    if product is None:
        abort(404)  # no product, or another shop's: nothing of this shop to change
    if not valid:
        return _products_page(form, product, 400)
    try:
        changed = services.set_product_rate(product, **form.values, **request_actor())
    except AffiliateError as refused:
        db.session.rollback()
        form.rate_value.errors = [*form.rate_value.errors, str(refused)]
        return _products_page(form, product, 400)
    db.session.commit()
    if changed:
        flash(f"“{product.title}” now pays affiliates its own rate.", "success")
    else:
        flash(f"“{product.title}” already had that rate: nothing changed.", "info")
    return redirect(url_for("affiliate_terms_admin.products"), 303)


@bp.post("/products/<uuid:product_id>/remove")
@requires("shop.settings")
def remove_product_rate(product_id: UUID) -> ResponseReturnValue:
    """Take a product's own rate away: the shop's (or the mall's) applies again."""
    product = get_product(product_id)
    if product is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    changed = services.clear_product_rate(product, **request_actor())
    db.session.commit()
    if changed:
        flash(f"“{product.title}” pays the shop's rate again.", "success")
    else:
        flash(f"“{product.title}” had no rate of its own: nothing changed.", "info")
    return redirect(url_for("affiliate_terms_admin.products"), 303)
