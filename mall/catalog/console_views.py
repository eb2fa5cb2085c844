"""Operators manage the mall's category tree at /admin/categories (blueprint ``category_admin``).

Every route is for operators only. Actions validate a form, call one service
from ``mall.catalog.categories``, commit, flash and redirect; bad input shows
its message with 400, a refused deletion (children or products) with 409.
Deleting asks once, on a page of its own that works without JavaScript.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.catalog import categories
from mall.catalog.categories import CategoryError
from mall.catalog.forms import CategoryForm, ConfirmForm, MoveForm
from mall.errors import get_or_404
from mall.extensions import db
from tenants.audit import request_actor

bp = Blueprint(
    "category_admin", __name__, url_prefix="/admin/categories", template_folder="templates"
)

TOP_LEVEL = ""
CONFIRMED = "yes"  # the confirmation page's answer (``confirm``); anything else only asks


def _parent_choices(exclude: set[UUID] | None = None) -> list[tuple[str, str]]:
    """Top level, then every category indented by depth (without ``exclude``)."""
    exclude = exclude or set()
    choices = [(TOP_LEVEL, "— Top level —")]
    for node in categories.flatten(categories.category_tree()):
        if node.id not in exclude:
            choices.append((str(node.id), f"{'· ' * node.depth}{node.name}"))
    return choices


def _parent_id(form: CategoryForm) -> UUID | None:
    """The chosen parent's id; an id that is not one raises CategoryError."""
    raw = (form.parent.data or "").strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise CategoryError("Choose an existing parent category.") from None


def _index_page(status: int = 200, **context: Any) -> ResponseReturnValue:
    tree = categories.category_tree()
    nodes = categories.flatten(tree)
    return render_template(
        "catalog/categories/index.html",
        tree=tree,
        total=len(nodes),
        counts=categories.product_counts([n.id for n in nodes]),
        move_form=MoveForm(formdata=None),
        **context,
    ), status


@bp.get("/")
@operator_required
def index() -> ResponseReturnValue:
    """The tree, nested and in order, with product counts and actions."""
    return _index_page()


@bp.route("/new", methods=["GET", "POST"])
@operator_required
def create() -> ResponseReturnValue:
    """A new category (at the end of its siblings)."""
    form = CategoryForm()
    form.parent.choices = _parent_choices()
    if request.method == "GET":
        form.parent.data = request.args.get("parent", TOP_LEVEL)
    error = None
    if form.validate_on_submit():
        try:
            category, created = categories.create_category(
                name=form.name.data,
                slug=form.slug.data,
                parent_id=_parent_id(form),
                **request_actor(),
            )
        except CategoryError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            if created:
                flash(f"Category “{category.name}” created.", "success")
            else:
                flash(f"Category “{category.name}” already exists: nothing changed.", "info")
            return redirect(url_for("category_admin.index"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "catalog/categories/form.html", form=form, category=None, error=error
    ), status


@bp.route("/<uuid:category_id>/edit", methods=["GET", "POST"])
@operator_required
def edit(category_id: UUID) -> ResponseReturnValue:
    """Rename, change the address or move under another parent (never below itself)."""
    category = get_or_404(categories.get_category, category_id)
    form = CategoryForm(
        name=category.name,
        slug=category.slug,
        parent=str(category.parent_id) if category.parent_id else TOP_LEVEL,
    )
    below = set(categories.descendants(category.id))
    form.parent.choices = _parent_choices(exclude={category.id, *below})
    error = None
    if form.validate_on_submit():
        try:
            changed = categories.update_category(
                category,
                name=form.name.data,
                slug=form.slug.data,
                parent_id=_parent_id(form),
                **request_actor(),
            )
        except CategoryError as refused:
            db.session.rollback()
            category = get_or_404(categories.get_category, category_id)
            error = str(refused)
        else:
            db.session.commit()
            if changed:
                flash(f"Category “{category.name}” saved.", "success")
            else:
                flash(f"Category “{category.name}” already was so: nothing changed.", "info")
            return redirect(url_for("category_admin.index"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "catalog/categories/form.html", form=form, category=category, error=error
    ), status


@bp.post("/<uuid:category_id>/move")
@operator_required
def move(category_id: UUID) -> ResponseReturnValue:
    """Move a category one place up or down among its siblings."""
    category = get_or_404(categories.get_category, category_id)
    form = MoveForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        return _index_page(400, error=message or "The form expired: try again.")
    changed = categories.move_category(category, form.direction.data, **request_actor())
    db.session.commit()
    if changed:
        flash(f"Moved “{category.name}” {form.direction.data}.", "success")
    else:
        where = "first" if form.direction.data == "up" else "last"
        flash(f"“{category.name}” already is {where}: nothing changed.", "info")
    return redirect(url_for("category_admin.index"), 303)


@bp.route("/<uuid:category_id>/delete", methods=["GET", "POST"])
@operator_required
def delete(category_id: UUID) -> ResponseReturnValue:
    """Ask once, naming what happens; the page's button posts back here with ``confirm=yes``.

    A POST without the confirmation only asks (303 to this page). Deleting is refused (409)
    while the category has sub-categories or products; the page says so before anyone asks.
    """
    if request.method == "GET":
        category = get_or_404(categories.get_category, category_id)
        below = categories.descendants(category.id)
        products = categories.product_counts([category.id]).get(category.id, 0)
        return render_template(
            "catalog/categories/delete.html",
            category=category,
            below=len(below),
            products=products,
            form=ConfirmForm(formdata=None),
        )
    if not ConfirmForm().validate_on_submit():
        return _index_page(400, error="The form expired: try again.")
    if request.form.get("confirm") != CONFIRMED:
        return redirect(url_for("category_admin.delete", category_id=category_id), 303)
    try:
        deleted = categories.delete_category(category_id, **request_actor())
    except CategoryError as refused:
        db.session.rollback()
        return _index_page(409, error=str(refused))
    db.session.commit()
    if deleted:
        flash("Category deleted.", "success")
    else:
        flash("That category was already deleted: nothing changed.", "info")
    return redirect(url_for("category_admin.index"), 303)
