"""The product list (filters, bulk actions), the product editor, deletion, and stock."""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from mall.catalog import categories, forms, queries, services
from mall.catalog.admin_views import bp, parse_uuid
from mall.catalog.markdown import render_markdown
from mall.catalog.models import Product, ProductStatus, StockReason, Variant, option_label
from mall.catalog.product_editor import ProductEditor
from mall.catalog.stock import InvalidMovement, OutOfStock, adjust_stock, history
from mall.errors import get_or_404
from mall.extensions import db
from mall.numbers import MAX_COUNT, check_whole
from mall.pagination import page_number
from mall.shops.permissions import requires

PRODUCTS_PER_PAGE = 25
MOVEMENTS_PER_PAGE = 25


# ---------------------------------------------------------------- the product list


@bp.route("/", methods=["GET", "POST"])
@requires("catalog.manage")
def products() -> ResponseReturnValue:
    """Products with filters and sorting; POST applies a bulk action to the ticked rows."""
    category_choices = forms.category_choices()
    if request.method == "POST":
        return _bulk(category_choices)
    filters = forms.ProductFilters(request.args, category_choices)
    page = queries.product_list(
        text=filters.q.data,
        status=filters.status.data,
        category_id=filters.category.data,
        stock=filters.stock.data,
        sort=filters.sort.data,
        page=page_number(request.args.get("page")),
        per_page=PRODUCTS_PER_PAGE,
    )
    bulk = forms.BulkForm(formdata=None)
    bulk.category_id.choices = forms.choices([("", "No category"), *category_choices])
    return render_template("catalog/admin/products.html", page=page, filters=filters, bulk=bulk)


def _bulk(category_choices: list[tuple[str, str]]) -> ResponseReturnValue:
    form = forms.BulkForm()
    form.category_id.choices = forms.choices([("", "No category"), *category_choices])
    kept = {k[len("filter-") :]: v for k, v in request.form.items() if k.startswith("filter-")}
    filters = forms.ProductFilters(MultiDict(kept), category_choices)
    back = url_for("catalog_admin.products", **filters.args())
    if not form.validate():
        flash("Choose one of the actions listed.", "error")
        return redirect(back)
    # get_products reads in this shop's context: another shop's ids are left out.
    chosen = services.get_products(request.form.getlist("product_ids"))
    if not chosen:
        flash("Tick the products to change first.", "warning")
        return redirect(back)
    if form.action.data == "category":
        category_id = parse_uuid(form.category_id.data)
        category = categories.get_category(category_id) if category_id else None
        if form.category_id.data and category is None:
            flash("Choose one of the categories listed.", "error")
            return redirect(back)
        changed = services.set_category(chosen, category)
        done = f"moved to {category.name}" if category else "taken out of their category"
    else:
        publish = form.action.data == "publish"
        status = ProductStatus.PUBLISHED if publish else ProductStatus.DRAFT
        changed = services.set_status(chosen, status)
        done = "published" if publish else "set to draft"
    db.session.commit()
    flash(f"{changed} of {len(chosen)} ticked product(s) {done}.", "success")
    return redirect(back)


# ---------------------------------------------------------------- new, edit, delete


@bp.route("/products/new", methods=["GET", "POST"])
@requires("catalog.manage")
def new_product() -> ResponseReturnValue:
    """Create a product with its options and variants."""
    return _edit(None)


@bp.route("/products/<uuid:product_id>", methods=["GET", "POST"])
@requires("catalog.manage")
def edit_product(product_id: UUID) -> ResponseReturnValue:
    """Edit a product; the page previews its sanitised description."""
    return _edit(get_or_404(services.get_product, product_id))


def _edit(product: Product | None) -> ResponseReturnValue:
    if request.method == "GET":
        return _editor_page(ProductEditor.for_product(product))
    editor = ProductEditor.from_request(product)
    if editor.action == "generate":
        if editor.check_options():
            editor.generate()
        return _editor_page(editor, 400 if editor.has_errors else 200)
    # Saved variants listed for removal and confirmed ("Remove these variants and their stock").
    ids = request.form.getlist("removing") if request.form.get("remove_variants") == "y" else []
    remove = {variant_id for raw in ids if (variant_id := parse_uuid(raw))}
    data = editor.validate(remove=remove)
    if data is None:
        return _editor_page(editor, 400)
    try:
        # The service checks the input (once) as it saves.
        if product is None:
            product = services.create_product(data)
        else:
            services.update_product(product, data, remove=remove, actor_id=current_user.id)
        product_id = product.id
        db.session.commit()
    except services.InvalidProduct as error:
        db.session.rollback()
        editor.file_problems(error.errors)
        return _editor_page(editor, 400)
    except IntegrityError:
        # Lost a race for a slug or SKU to another request: nothing is saved.
        db.session.rollback()
        editor.general_errors.append("Another change used this slug or a SKU; please try again.")
        return _editor_page(editor, 400)
    removed = " The removed variants' stock is in its stock history." if remove else ""
    flash(f"“{data.title.strip()}” is saved.{removed}", "success")
    return redirect(url_for("catalog_admin.edit_product", product_id=product_id))


def _editor_page(editor: ProductEditor, status: int = 200) -> ResponseReturnValue:
    product = editor.product
    if request.method == "POST":
        editor.find_removals()  # saved variants the rows leave out, to list and confirm
    quantities = {}
    if product is not None:
        quantities = {
            key: v
            for v in product.variants
            if v.track_stock
            for key in (v.id, services.option_key(v.option_values))
        }
    return render_template(
        "catalog/admin/product_form.html",
        editor=editor,
        form=editor.form,
        product=product,
        tracked=quantities,
        option_key=services.option_key,
        preview=render_markdown(editor.form.description.data or ""),
    ), status


@bp.route("/products/<uuid:product_id>/delete", methods=["GET", "POST"])
@requires("catalog.manage")
def delete_product(product_id: UUID) -> ResponseReturnValue:
    """Ask, then delete a product with its variants, stock history, images and files."""
    product = get_or_404(services.get_product, product_id)
    form = forms.ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        title = product.title
        services.delete_product(product)
        db.session.commit()
        flash(f"“{title}” is deleted.", "success")
        return redirect(url_for("catalog_admin.products"))
    return render_template("catalog/admin/delete.html", product=product, form=form)


# ---------------------------------------------------------------- stock


@bp.route("/products/<uuid:product_id>/stock", methods=["GET", "POST"])
@requires("catalog.manage")
def stock(product_id: UUID) -> ResponseReturnValue:
    """Stock per variant, its movements, and a receipt or adjustment (never a typed quantity)."""
    product = get_or_404(services.get_product, product_id)
    form = forms.StockForm()
    form.variant_id.choices = forms.choices(
        [(str(v.id), f"{v.sku} ({_label(v, product)})") for v in product.variants]
    )
    if request.method == "GET" and request.args.get("variant"):
        form.variant_id.data = request.args["variant"]  # "History" of a variant: record for it
    if request.method == "POST":
        if form.validate():
            variant = next(v for v in product.variants if str(v.id) == form.variant_id.data)
            reason = StockReason(form.kind.data)
            delta = form.quantity.data
            try:
                _check_bounds(variant, delta)
                adjust_stock(
                    variant, delta, reason=reason, note=form.note.data, actor_id=current_user.id
                )
            except (InvalidMovement, OutOfStock) as refused:  # the rules of stock.py
                db.session.rollback()
                form.quantity.errors.append(str(refused))
            else:
                db.session.commit()
                flash(f"{variant.sku}: {delta:+d} recorded ({reason.value}).", "success")
                return redirect(url_for("catalog_admin.stock", product_id=product.id))
        return _stock_page(product, form, 400)
    return _stock_page(product, form)


def _check_bounds(variant: Variant, delta: int) -> None:
    """Refuse a quantity, or stock on hand, past what the 32-bit columns hold (``mall.numbers``)."""
    if message := check_whole(delta, minimum=-MAX_COUNT):
        raise InvalidMovement(message)
    on_hand = (variant.stock_quantity or 0) + delta
    if on_hand > MAX_COUNT:
        raise InvalidMovement(
            f"A variant holds at most {MAX_COUNT:,} on hand: this would make {on_hand:,}."
        )
    if on_hand < -MAX_COUNT:
        raise InvalidMovement(
            f"A variant's stock goes no lower than {-MAX_COUNT:,}: this would make {on_hand:,}."
        )


def _label(variant: Variant, product: Product) -> str:
    return option_label(variant, product) or "default"


def _stock_page(product: Product, form: forms.StockForm, status: int = 200) -> ResponseReturnValue:
    by_id = {v.id: v for v in product.variants}
    shown = by_id.get(parse_uuid(request.args.get("variant")))
    movements, actors = history(
        product,
        variant=shown,
        page=page_number(request.args.get("page")),
        per_page=MOVEMENTS_PER_PAGE,
    )
    return render_template(
        "catalog/admin/stock.html",
        product=product,
        form=form,
        movements=movements,
        variants=by_id,
        shown=shown,
        actors=actors,
        label=lambda variant: _label(variant, product),
    ), status
