"""The catalog's forms: a product's fields, the product list's filters and bulk actions,
stock, images and files, CSV uploads, and the operators' category tree.

The product editor (options and the variants table) is in ``product_editor``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    Form,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from mall.catalog.categories import MAX_NAME, MAX_SLUG, SLUG_PATTERN
from mall.catalog.models import Category, ProductKind, ProductStatus
from mall.extensions import db

TAX_CLASSES = [
    ("standard", "Standard"),
    ("reduced", "Reduced"),
    ("zero", "Zero-rated"),
    ("exempt", "Exempt"),
]
KINDS = [(ProductKind.PHYSICAL.value, "Physical"), (ProductKind.DIGITAL.value, "Digital")]
STATUSES = [(ProductStatus.DRAFT.value, "Draft"), (ProductStatus.PUBLISHED.value, "Published")]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """``[(value, label)]`` as WTForms wants select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def category_choices() -> list[tuple[str, str]]:
    """The mall's categories in tree order (parents first, by position), indented by depth."""
    rows = db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)).all()
    children: dict[UUID | None, list[Category]] = {}
    for category in rows:
        children.setdefault(category.parent_id, []).append(category)
    choices: list[tuple[str, str]] = []

    def walk(parent: UUID | None, depth: int) -> None:
        for category in children.get(parent, []):
            choices.append((str(category.id), "— " * depth + category.name))
            if depth < 20:  # a cycle in operator data must not hang the page
                walk(category.id, depth + 1)

    walk(None, 0)
    return choices


class ProductForm(FlaskForm):
    """A product's own fields (options and variants are in ``product_editor``)."""

    title = StringField("Title", filters=[_strip])
    slug = StringField("Slug (optional)", filters=[_strip])
    description = TextAreaField("Description (Markdown)")
    kind = SelectField("Kind", choices=choices(KINDS), default=ProductKind.PHYSICAL.value)
    weight_grams = IntegerField(
        "Weight in grams (physical products)",
        validators=[Optional(), NumberRange(min=0, message="Enter a weight of zero or more.")],
    )
    tax_class = SelectField("Tax class", choices=choices(TAX_CLASSES), default="standard")
    category_id = SelectField("Category", choices=[])
    tags = StringField("Tags (comma separated)", filters=[_strip])
    status = SelectField("Status", choices=choices(STATUSES), default=ProductStatus.DRAFT.value)


# ---------------------------------------------------------------- the product list


class ProductFilters(Form):
    """The product list's filters (a GET form: no CSRF); bad values fall back to "any"."""

    q = StringField("Title or SKU", filters=[_strip], validators=[Length(max=100)])
    status = SelectField("Status", choices=choices([("", "Any status"), *STATUSES]), default="")
    category = SelectField("Category", choices=[], default="")
    stock = SelectField(
        "Stock",
        choices=choices([("", "Any stock"), ("low", "Low stock"), ("out", "Out of stock")]),
        default="",
    )
    sort = SelectField(
        "Sort by",
        choices=choices(
            [("updated", "Recently updated"), ("newest", "Newest"), ("title", "Title")]
        ),
        default="updated",
    )

    def __init__(self, formdata: MultiDict, categories: list[tuple[str, str]]) -> None:
        super().__init__(formdata)
        self.category.choices = choices([("", "Any category"), *categories])
        if not self.validate():
            for name in self.errors:
                self[name].data = self[name].default or ""

    def args(self) -> dict[str, str]:
        """The filters in effect, for links (pages, back after a bulk action)."""
        return {name: f.data for name, f in self._fields.items() if f.data and f.data != "updated"}


BULK_ACTIONS = [
    ("publish", "Publish"),
    ("unpublish", "Unpublish (back to draft)"),
    ("category", "Move to category"),
]


class BulkForm(FlaskForm):
    action = SelectField("Action", choices=choices(BULK_ACTIONS))
    # Checked by the view, for the "category" action only.
    category_id = SelectField("Category", choices=[], validate_choice=False)


# ---------------------------------------------------------------- stock, images, files

STOCK_KINDS = [("receipt", "Receipt (goods in)"), ("adjustment", "Adjustment (add or remove)")]


class StockForm(FlaskForm):
    variant_id = SelectField("Variant", choices=[])
    kind = SelectField("Kind", choices=choices(STOCK_KINDS), default="receipt")
    quantity = IntegerField(
        "Quantity",
        validators=[InputRequired(message="Enter a quantity, such as 10 or -2.")],
    )
    note = StringField("Note (optional)", filters=[_strip], validators=[Length(max=200)])


class ImageUploadForm(FlaskForm):
    image = FileField("Image")
    alt_text = StringField(
        "Alt text (describes the picture)", filters=[_strip], validators=[Length(max=300)]
    )


class ImageUpdateForm(FlaskForm):
    alt_text = StringField("Alt text", filters=[_strip], validators=[Length(max=300)])
    position = IntegerField(
        "Position", validators=[InputRequired(), NumberRange(min=1, max=10_000)]
    )


class FileUploadForm(FlaskForm):
    file = FileField("File")


class ConfirmForm(FlaskForm):
    """Only a CSRF token: delete."""


class CsvUploadForm(FlaskForm):
    file = FileField("CSV file")


# ---------------------------------------------------------------- the mall's categories (operators)


class CategoryForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Enter a name."),
            Length(max=MAX_NAME, message=f"Use at most {MAX_NAME} characters."),
        ],
    )
    slug = StringField(
        "Address (slug)",
        validators=[
            DataRequired(message="Enter an address, e.g. garden-tools."),
            Length(max=MAX_SLUG, message=f"Use at most {MAX_SLUG} characters."),
            Regexp(
                SLUG_PATTERN,
                message="Use lower-case letters, digits and single hyphens, e.g. garden-tools.",
            ),
        ],
    )
    # The service checks the choice (existing, not the node itself nor below it).
    parent = SelectField("Parent", choices=[], validate_choice=False)


class MoveForm(FlaskForm):
    direction = HiddenField(
        validators=[AnyOf(("up", "down"), message="Move a category up or down.")]
    )
