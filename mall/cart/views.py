"""The cart at /cart: add from any shop's product page, change quantities, remove lines."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from mall.cart import services
from mall.cart.services import (
    MAX_QUANTITY,
    AddOutcome,
    add_line,
    buyable_variants,
    cart_contents,
    item_count,
    parse_quantity,
    parse_variant_id,
    set_quantity,
)

bp = Blueprint("cart", __name__, url_prefix="/cart", template_folder="templates")


@bp.app_context_processor
def cart_helpers() -> dict:
    """``cart_item_count()`` for the header's badge: every item, quantities added up."""
    return {"cart_item_count": lambda: item_count(session)}


@bp.get("/")
def view() -> ResponseReturnValue:
    """The cart across every shop: lines grouped by shop, subtotals and the total."""
    contents = cart_contents(session)
    if contents.dropped:
        flash("Some items are no longer on sale and were taken out of your cart.", "warning")
    if contents.sold_out:
        names = ", ".join(f"“{name}”" for name in contents.sold_out)
        flash(f"Sold out, so taken out of your cart: {names}.", "warning")
    return render_template("cart/cart.html", cart=contents, max_quantity=MAX_QUANTITY)


@bp.post("/add")
def add() -> ResponseReturnValue:
    """Add a variant (of a published product of an active shop) to the cart."""
    variant_id = parse_variant_id(request.form.get("variant_id"))
    variant = buyable_variants([variant_id]).variants.get(variant_id) if variant_id else None
    if variant is None:
        abort(404)
    product = variant.product
    quantity = parse_quantity(request.form.get("quantity", "1"))
    if quantity is None:
        flash(f"Choose a quantity from 1 to {MAX_QUANTITY}.", "error")
        return redirect(
            url_for("storefront.product", shop=product.shop.slug, product_slug=product.slug),
            303,
        )
    outcome = add_line(session, variant, quantity, nonce=request.form.get("nonce"))
    if outcome is AddOutcome.OUT_OF_STOCK:
        flash(f"“{product.title}” is out of stock: nothing was added.", "error")
        return redirect(
            url_for(
                "storefront.product",
                shop=product.shop.slug,
                product_slug=product.slug,
                variant=variant.id,
            ),
            303,
        )
    if outcome is AddOutcome.FULL:
        flash(f"Your cart holds at most {services.MAX_LINES} different items.", "error")
    elif outcome is AddOutcome.ADDED:
        flash(f"Added “{product.title}” to your cart.", "success")
    return redirect(url_for("cart.view"), 303)


@bp.post("/update")
def update() -> ResponseReturnValue:
    """Change a line's quantity (0 removes it)."""
    variant_id = parse_variant_id(request.form.get("variant_id"))
    quantity = parse_quantity(request.form.get("quantity"), allow_zero=True)
    if variant_id is None:
        abort(404)
    if quantity is None:
        flash(f"Choose a quantity from 0 to {MAX_QUANTITY}.", "error")
    elif not set_quantity(session, variant_id, quantity):
        flash("That item is not in your cart.", "warning")
    else:
        flash("Your cart was updated.", "success")
    return redirect(url_for("cart.view"), 303)


@bp.post("/remove")
def remove() -> ResponseReturnValue:
    """Take a line out of the cart."""
    variant_id = parse_variant_id(request.form.get("variant_id"))
    if variant_id is None:
        abort(404)
    if set_quantity(session, variant_id, 0):
        flash("The item was removed from your cart.", "success")
    return redirect(url_for("cart.view"), 303)
