"""The cart at /cart: add from any shop's product page, change quantities, remove lines,
choose where it ships and how, and type coupon codes.

Every change is a plain form that answers 303 to the cart page; sent by htmx
(``HX-Request``) the same form answers with the re-rendered cart instead, so the
page changes in place.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.cart import forms, services
from mall.cart.choices import set_country, set_coupon_codes, set_shipping_choice
from mall.cart.services import (
    MAX_QUANTITY,
    AddOutcome,
    Cart,
    CartContents,
    CartError,
    add_line,
    current_cart,
    find_variants,
    item_count,
    line_count,
    priced_cart,
    remember_count,
    set_quantity,
)
from mall.countries import country_name, country_options
from mall.extensions import db

bp = Blueprint("cart", __name__, url_prefix="/cart", template_folder="templates")


@bp.app_context_processor
def cart_helpers() -> dict:
    """``cart_item_count()`` for the header's badge: every item, kept in the session."""
    return {"cart_item_count": item_count}


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _render(cart: Cart | None, *, notes: Sequence[tuple[str, str]] = (), status: int = 200):
    """The cart page, or only the cart (for htmx), as it is now: re-checked and priced."""
    contents, priced = priced_cart(cart) if cart is not None else (CartContents([]), None)
    remember_count(contents.quantity)
    notes = [*notes, *(("warning", message) for message in contents.messages)]
    template = "cart/_cart.html" if _htmx() else "cart/cart.html"
    context = {
        "cart": contents,
        "quote": priced,
        "stored": cart,
        "notes": notes,
        "max_quantity": MAX_QUANTITY,
        "country_options": country_options,
        "country_name": country_name,
        "oob": _htmx(),
    }
    html = render_template(template, **context)
    # What re-checking changed is said once, so it is kept (after rendering: a commit
    # expires the catalog rows, which may be read only in a shop's context or all_tenants).
    db.session.commit()
    return html, status


def _done(message: str, category: str = "success", *, status: int = 200) -> ResponseReturnValue:
    """After a change: the cart again, for htmx; else a message and back to the cart page."""
    if _htmx():
        return _render(current_cart(create=False), notes=[(category, message)], status=status)
    flash(message, category)
    return redirect(url_for("cart.view"), 303)


@bp.get("/")
def view() -> ResponseReturnValue:
    """The cart across every shop: lines grouped by shop, each shop's quote, the total."""
    return _render(current_cart(create=False))


@bp.post("/add")
def add() -> ResponseReturnValue:
    """Add a variant (of a published product of an active shop) to the cart."""
    form = forms.AddForm()
    variant_id = form.variant
    variant = (
        find_variants([variant_id], on_sale_only=True).variants.get(variant_id)
        if variant_id
        else None
    )
    if variant is None:
        abort(404)
    product = variant.product
    if not form.validate():
        flash(form.quantity.errors[0], "error")
        return redirect(
            url_for("storefront.product", shop=product.shop.slug, product_slug=product.slug), 303
        )
    # Read before the commit expires them (catalog rows load only in a shop's context).
    title, back = (
        product.title,
        url_for(
            "storefront.product",
            shop=product.shop.slug,
            product_slug=product.slug,
            variant=variant.id,
        ),
    )
    cart = current_cart(create=True)
    outcome = add_line(cart, variant, form.amount, nonce=form.nonce.data)
    remember_count(line_count(cart))
    db.session.commit()
    if outcome is AddOutcome.OUT_OF_STOCK:
        flash(f"“{title}” is out of stock: nothing was added.", "error")
        return redirect(back, 303)
    if outcome is AddOutcome.FULL:
        flash(f"Your cart holds at most {services.MAX_LINES} different items.", "error")
    elif outcome is AddOutcome.ADDED:
        flash(f"Added “{title}” to your cart.", "success")
    return redirect(url_for("cart.view"), 303)


@bp.post("/update")
def update() -> ResponseReturnValue:
    """Change a line's quantity (0 removes it)."""
    form = forms.QuantityForm()
    if form.variant is None:
        abort(404)
    if not form.validate():
        return _done(form.quantity.errors[0], "error", status=422)
    cart = current_cart(create=False)
    changed = cart is not None and set_quantity(cart, form.variant, form.amount)
    if cart is not None:
        remember_count(line_count(cart))
    db.session.commit()
    if not changed:
        return _done("That item is not in your cart.", "warning")
    return _done("Your cart was updated.")


@bp.post("/remove")
def remove() -> ResponseReturnValue:
    """Take a line out of the cart (again: nothing happens)."""
    form = forms.RemoveForm()
    if form.variant is None:
        abort(404)
    cart = current_cart(create=False)
    if cart is not None and set_quantity(cart, form.variant, 0):
        remember_count(line_count(cart))
        db.session.commit()
        return _done("The item was removed from your cart.")
    return _done("That item is not in your cart.", "info")


@bp.post("/country")
def country() -> ResponseReturnValue:
    """Where the cart ships to: the shops' shipping options and tax follow."""
    form = forms.CountryForm()
    cart = current_cart(create=False)
    if cart is None:
        return _done("Your cart is empty.", "info")
    if not form.validate():
        return _done("Choose a country from the list.", "error", status=422)
    try:
        set_country(cart, form.country.data or None)
    except CartError as error:
        db.session.rollback()
        return _done(str(error), "error", status=422)
    db.session.commit()
    return _done("Shipping options are shown for that country." if cart.country else "Done.")


@bp.post("/shipping")
def shipping() -> ResponseReturnValue:
    """Choose one shop's shipping method."""
    form = forms.ShippingForm()
    cart = current_cart(create=False)
    if cart is None or form.ids is None:
        return _done("Choose one of the shipping options.", "error", status=422)
    try:
        set_shipping_choice(cart, *form.ids)
    except CartError as error:
        db.session.rollback()
        return _done(str(error), "error", status=422)
    db.session.commit()
    return _done("Your shipping choice is saved.")


@bp.post("/coupons")
def coupons() -> ResponseReturnValue:
    """The cart's coupon codes (whether each applies is shown with the totals)."""
    form = forms.CouponForm()
    cart = current_cart(create=False)
    if cart is None:
        return _done("Your cart is empty.", "info")
    if not form.validate():
        return _done(form.codes.errors[0], "error", status=422)
    try:
        codes = set_coupon_codes(cart, form.codes.data or "")
    except CartError as error:
        db.session.rollback()
        return _done(str(error), "error", status=422)
    db.session.commit()
    return _done("Your coupon codes are saved." if codes else "No coupon codes now.")
