"""The customer's address book: ``/account/addresses`` (list, add, edit, delete, default)."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField

from mall.accounts import address_book
from mall.accounts.address_book import AddressBookError
from mall.accounts.addresses import AddressError, PostalAddress, clean_address
from mall.checkout.forms import AddressFields
from mall.extensions import db

bp = Blueprint("address_book", __name__, url_prefix="/account", template_folder="templates")

FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
PRIVATE = {"Cache-Control": "private, no-store"}


class AddressBookForm(AddressFields):
    """One address of the book (CSRF on) and whether checkout offers it first."""

    class Meta:
        csrf = FlaskForm.Meta.csrf  # on, as for every form (the fields' own Meta turns it off)

    make_default = BooleanField("Offer this address first at checkout")


class ConfirmForm(FlaskForm):
    """A button with its CSRF token (delete, make default)."""


def _filled(address: PostalAddress | None, *, default: bool = False) -> AddressBookForm:
    form = AddressBookForm()
    if request.method == "GET" and address is not None:
        for name in FIELDS:
            getattr(form, name).data = getattr(address, name)
        form.make_default.data = default
    return form


def _cleaned(form: AddressBookForm) -> PostalAddress | None:
    if not form.validate_on_submit():
        return None
    try:
        return clean_address({name: getattr(form, name).data for name in FIELDS})
    except AddressError as error:
        for name, message in error.errors.items():
            field = getattr(form, name, None) or form.line1
            field.errors = [*field.errors, message]
        return None


def _entry_or_404(address_id: UUID):
    saved = address_book.get_saved_address(current_user, address_id)
    if saved is None:
        abort(404)
    return saved


@bp.get("/addresses")
@login_required
def addresses() -> ResponseReturnValue:
    """The address book, the default first."""
    return (
        render_template(
            "accounts/addresses.html",
            entries=address_book.address_book(current_user),
            action_form=ConfirmForm(),
            limit=address_book.MAX_ADDRESSES,
        ),
        200,
        PRIVATE,
    )


def _form_page(form: AddressBookForm, *, address_id: UUID | None, status: int, error: str = ""):
    return (
        render_template(
            "accounts/address_form.html", form=form, address_id=address_id, error=error
        ),
        status,
        PRIVATE,
    )


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def add_address() -> ResponseReturnValue:
    """Add an address (checked by its country's rules)."""
    form = _filled(None)
    address = _cleaned(form)
    if address is None:
        return _form_page(form, address_id=None, status=400 if request.method == "POST" else 200)
    try:
        address_book.add_address(current_user, address, make_default=bool(form.make_default.data))
    except AddressBookError as error:
        db.session.rollback()
        return _form_page(form, address_id=None, status=409, error=str(error))
    db.session.commit()
    flash("The address is in your address book.", "success")
    return redirect(url_for("address_book.addresses"), 303)


@bp.route("/addresses/<uuid:address_id>", methods=["GET", "POST"])
@login_required
def edit_address(address_id: UUID) -> ResponseReturnValue:
    """Change a saved address."""
    saved = _entry_or_404(address_id)
    form = _filled(PostalAddress.from_json(saved.address_json), default=saved.is_default)
    address = _cleaned(form)
    if address is None:
        return _form_page(
            form, address_id=address_id, status=400 if request.method == "POST" else 200
        )
    try:
        address_book.update_address(
            current_user, address_id, address=address, make_default=bool(form.make_default.data)
        )
    except AddressBookError as error:
        db.session.rollback()
        return _form_page(form, address_id=address_id, status=409, error=str(error))
    db.session.commit()
    flash("The address is saved.", "success")
    return redirect(url_for("address_book.addresses"), 303)


@bp.route("/addresses/<uuid:address_id>/delete", methods=["GET", "POST"])
@login_required
def delete_address(address_id: UUID) -> ResponseReturnValue:
    """Ask once, then delete the address (a repeated POST finds it gone and says so)."""
    form = ConfirmForm()
    if request.method == "GET":
        saved = _entry_or_404(address_id)
        address = PostalAddress.from_json(saved.address_json)
        return (
            render_template(
                "accounts/address_delete.html", form=form, address=address, address_id=address_id
            ),
            200,
            PRIVATE,
        )
    if not form.validate_on_submit():
        abort(400)
    if address_book.delete_address(current_user, address_id):
        db.session.commit()
        flash("The address is deleted from your address book.", "success")
    else:
        db.session.rollback()
        flash("That address was already deleted.", "info")
    return redirect(url_for("address_book.addresses"), 303)


@bp.post("/addresses/<uuid:address_id>/default")
@login_required
def make_default(address_id: UUID) -> ResponseReturnValue:
    """Make an address the one checkout offers first."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        address_book.set_default_address(current_user, address_id)
    except AddressBookError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash("Checkout will offer this address first.", "success")
    return redirect(url_for("address_book.addresses"), 303)
