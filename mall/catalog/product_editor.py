"""The product editor: scalar fields, up to three options, and one row per variant.

The editor keeps what was typed as text (prices, thresholds) so that a page
shown again with errors shows it unchanged. ``ProductEditor.validate`` parses
it into a ``ProductInput``; the services check it when saving
(``check_product`` runs once per save) and the view files their
``InvalidProduct.errors`` next to the fields with ``file_problems``.

Variant rows carry the saved variant's id and option rows what they were
(``was``), so generating keeps every variant through renames and new options;
saved variants no row keeps are listed (``going``) for the person to confirm.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from uuid import UUID

from flask import request
from werkzeug.datastructures import MultiDict

from mall.catalog import services
from mall.catalog.forms import (
    KINDS,
    STATUSES,
    TAX_CLASSES,
    ProductForm,
    category_choices,
    choices,
)
from mall.catalog.models import (
    Product,
    ProductKind,
    ProductStatus,
    option_label,
    option_renames,
    ordered_choice,
    project_choice,
)
from mall.money import MoneyError, parse_money, to_decimal_text
from mall.numbers import NumberError, parse_whole

OPTION_ROWS = services.MAX_OPTIONS
# More rows than a product may have, so that "too many" is reported rather than cut silently.
MAX_ROWS = services.MAX_VARIANTS + 1
_ROW_FIELD = re.compile(r"^variants-(\d{1,3})-choice$")
_SKU_JUNK = re.compile(r"[^A-Za-z0-9._/-]+")


@dataclass
class OptionRow:
    """One option as typed: a name and comma-separated values."""

    name: str = ""
    values: str = ""
    # The option the rows were made from, as JSON ({"name", "values"}); "" for a new row.
    was: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        """Both boxes left empty (the row is ignored)."""
        return not self.name.strip() and not self.values.strip()

    def value_list(self) -> list[str]:
        """The values, trimmed, empty ones dropped."""
        return [v.strip() for v in self.values.split(",") if v.strip()]


@dataclass
class VariantRow:
    """One row of the variants table as typed (prices are decimal text)."""

    choice: dict[str, str]
    sku: str = ""
    price: str = ""
    compare_at_price: str = ""
    track_stock: bool = True
    allow_backorder: bool = False
    low_stock_threshold: str = "0"
    # The saved variant the row edits (None for a new one).
    variant_id: UUID | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def option_values(self) -> dict[str, str]:
        """The choice, named as on a variant (for ``option_label``)."""
        return self.choice

    @property
    def label(self) -> str:
        """``"Size: M, Colour: Red"`` (as the options are listed now), or "Default variant"."""
        return option_label(self) or "Default variant"

    @property
    def choice_json(self) -> str:
        """The option choice for the row's hidden field."""
        return json.dumps(self.choice, ensure_ascii=False)

    def add_error(self, name: str, message: str) -> None:
        """File a message next to one of the row's inputs."""
        self.errors.setdefault(name, []).append(message)


class ProductEditor:
    """The product page's form: scalar fields, up to three options, and one row per variant."""

    def __init__(
        self,
        form: ProductForm,
        options: list[OptionRow],
        rows: list[VariantRow],
        product: Product | None,
    ) -> None:
        self.form = form
        self.options = options + [OptionRow() for _ in range(OPTION_ROWS - len(options))]
        self.rows = rows
        self.product = product
        self.options_errors: list[str] = []
        self.variants_errors: list[str] = []
        self.general_errors: list[str] = []
        self.notice: str | None = None
        self.options_ok = True
        # Saved variants the rows leave out (see ``find_removals``); refused: not confirmed.
        self.going: list[services.Removal] = []
        self.removal_refused = False
        form.category_id.choices = choices([("", "No category"), *category_choices()])
        tax = form.tax_class.data or (product.tax_class if product else "standard")
        if tax not in {value for value, _ in TAX_CLASSES}:
            # A class set by an import stays choosable.
            form.tax_class.choices = choices([*TAX_CLASSES, (tax, tax)])

    @classmethod
    def for_product(cls, product: Product | None) -> ProductEditor:
        """The editor filled from a saved product, or blank for a new one."""
        if product is None:
            return cls(ProductForm(formdata=None), [], [VariantRow(choice={})], None)
        form = ProductForm(
            formdata=None,
            data={
                "title": product.title,
                "slug": product.slug,
                "description": product.description_md,
                "kind": product.kind.value,
                "weight_grams": product.weight_grams,
                "tax_class": product.tax_class,
                "category_id": str(product.category_id) if product.category_id else "",
                "tags": ", ".join(product.tags or []),
                "status": product.status.value,
            },
        )
        options = [
            OptionRow(o["name"], ", ".join(o["values"]), json.dumps(o)) for o in product.options
        ]
        rows = [
            VariantRow(
                variant_id=v.id,
                choice=dict(ordered_choice(v, product)),
                sku=v.sku,
                price=to_decimal_text(v.price),
                compare_at_price=to_decimal_text(v.compare_at_price),
                track_stock=v.track_stock,
                allow_backorder=v.allow_backorder,
                low_stock_threshold=str(v.low_stock_threshold),
            )
            for v in product.variants
        ]
        return cls(form, options, rows, product)

    @classmethod
    def from_request(cls, product: Product | None) -> ProductEditor:
        """The editor as the person submitted it."""
        posted = request.form
        options = [
            OptionRow(
                *(posted.get(f"options-{n}-{part}", "") for part in ("name", "values", "was"))
            )
            for n in range(OPTION_ROWS)
        ]
        return cls(ProductForm(), options, _posted_rows(posted), product)

    @property
    def action(self) -> str:
        """Which button was pressed: "save" or "generate"."""
        return request.form.get("action", "save")

    @property
    def has_errors(self) -> bool:
        """True when any field, option or row has a message."""
        return bool(
            self.form.errors
            or self.options_errors
            or self.variants_errors
            or self.general_errors
            or any(o.errors for o in self.options)
            or any(r.errors for r in self.rows)
            or self.removal_refused
        )

    # ------------------------------------------------------------ options and combinations

    def filled_options(self) -> list[tuple[int, OptionRow]]:
        """The option rows in use, with their row numbers."""
        return [(n, o) for n, o in enumerate(self.options) if not o.blank]

    def options_data(self) -> list[dict]:
        """The options as the catalog services take them."""
        return [
            {"name": o.name.strip(), "values": o.value_list()} for _, o in self.filled_options()
        ]

    def check_options(self) -> bool:
        """File the options' problems (as the catalog services see them); True when none."""
        problems = services.check_options(self.options_data())
        self.add_errors(problems)
        count = 1
        for option in self.options_data():
            count *= max(1, len(option["values"]))
        if not problems and count > services.MAX_VARIANTS:
            self.options_errors.append(
                f"These options make {count} combinations; "
                f"a product has at most {services.MAX_VARIANTS} variants."
            )
        return not problems and count <= services.MAX_VARIANTS

    def combinations(self) -> list[dict[str, str]]:
        """Every choice of one value per option (one ``{}`` without options)."""
        options = self.options_data()
        names = [o["name"] for o in options]
        return [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*(o["values"] for o in options))
        ]

    def rows_match_options(self) -> bool:
        """True when the rows are exactly the combinations of the options."""
        wanted = [services.option_key(c) for c in self.combinations()]
        return sorted(wanted) == sorted(services.option_key(r.choice) for r in self.rows)

    def generate(self) -> None:
        """One row per combination; rows already there keep their variant, SKU, price, settings.

        A row's choice follows renamed options and values (``option_renames``), then
        takes the same combination, or else (a saved variant) its choice carried over
        (``project_choice``).
        """
        options = self.options_data()
        renamed: dict[tuple[str, str], tuple[str, str]] = {}
        for _, option in self.filled_options():
            renamed |= option_renames(_json(option.was), option.name.strip(), option.value_list())
        carried = [dict(renamed.get(pair, pair) for pair in r.choice.items()) for r in self.rows]
        by_key: dict[str, VariantRow] = {}
        for row, choice in zip(self.rows, carried, strict=True):
            by_key.setdefault(services.option_key(choice), row)
        for row, choice in zip(self.rows, carried, strict=True):  # saved variants only
            if row.variant_id and (projected := project_choice(choice, options)) is not None:
                by_key.setdefault(services.option_key(projected), row)
        first = self.rows[0] if self.rows else VariantRow(choice={})
        base = first.sku if len(self.rows) == 1 and not first.choice and first.sku else ""
        base = base or services.slugify(self.form.title.data or "").upper()
        rows: list[VariantRow] = []
        for choice in self.combinations():
            row = by_key.get(services.option_key(choice))
            if row is None:
                sku = _SKU_JUNK.sub("-", "-".join([base, *choice.values()])).strip("-._/")[:64]
                row = VariantRow(choice=choice, sku=sku, price=first.price)
            row.choice = choice  # the option order (and names) as listed now
            rows.append(row)
        self.rows = rows
        for _, option in self.filled_options():
            option.was = json.dumps({"name": option.name.strip(), "values": option.value_list()})

    def find_removals(self) -> None:
        """List the saved variants the rows leave out (``going``), with their stock and files."""
        if self.product is not None and self.options_ok:
            self.going = services.planned_removals(self.product, self.rows, self.options_data())

    # ------------------------------------------------------------ validation

    def validate(self, *, remove: set[UUID]) -> services.ProductInput | None:
        """The typed product as a ``ProductInput`` to save, or None with its problems filed.

        Without a typing problem the input goes to the services unchecked: they
        check it as they save (``remove``: the variants whose removal was confirmed).
        With one, nothing is saved, so the services' check runs here instead.
        """
        self.form.validate()
        if "csrf_token" in self.form.errors:
            self.general_errors.append("The form expired; please submit it again.")
        self.options_ok = self.check_options()
        if self.options_ok and not self.rows_match_options():
            self.generate()
            self.notice = (
                "The options changed, so the variants were generated again from them: "
                "check them, then save."
            )
            return None
        data = self._parse()
        if not self.has_errors:
            return data
        self.file_problems(services.check_product(data, product=self.product, remove=remove))
        return None

    def file_problems(self, errors: list[services.FieldError]) -> None:
        """File what ``check_product`` found, but for what the page says already."""
        known = {(n, name) for n, row in enumerate(self.rows) for name in row.errors}
        self.add_errors(
            [
                e
                for e in errors
                if not e.field.startswith("options")  # filed by check_options
                and _row_field(e.field) not in known  # a typing error is said already
                and not (e.field.endswith(".options") and not self.options_ok)  # follows
            ]
        )

    def _parse(self) -> services.ProductInput:
        form = self.form
        rows = []
        for row in self.rows:
            rows.append(
                services.VariantInput(
                    sku=row.sku.strip(),
                    price=_money(row, "price", required=True) or 0,
                    compare_at_price=_money(row, "compare_at_price", required=False),
                    option_values=dict(row.choice),
                    track_stock=row.track_stock,
                    allow_backorder=row.allow_backorder,
                    low_stock_threshold=_whole(row, "low_stock_threshold"),
                    variant_id=row.variant_id,
                )
            )
        kind = (
            ProductKind(form.kind.data) if form.kind.data in dict(KINDS) else ProductKind.PHYSICAL
        )
        status = form.status.data
        category = form.category_id.data
        return services.ProductInput(
            title=form.title.data or "",
            slug=(form.slug.data or "").lower() or None,
            description_md=form.description.data or "",
            kind=kind,
            status=ProductStatus(status) if status in dict(STATUSES) else ProductStatus.DRAFT,
            tax_class=form.tax_class.data or "standard",
            weight_grams=form.weight_grams.data if kind is ProductKind.PHYSICAL else None,
            category_id=UUID(category) if category and not form.category_id.errors else None,
            tags=[t.strip() for t in (form.tags.data or "").split(",") if t.strip()],
            options=self.options_data(),
            variants=rows,
        )

    def add_errors(self, errors: list[services.FieldError]) -> None:
        """File each ``FieldError`` next to its field (``variants[2].price`` -> row 2's price)."""
        filled = [n for n, _ in self.filled_options()]
        scalar = {
            "title": self.form.title,
            "slug": self.form.slug,
            "weight_grams": self.form.weight_grams,
            "tags": self.form.tags,
            "tax_class": self.form.tax_class,
            "category": self.form.category_id,
        }
        for error in errors:
            match = re.match(r"^(options|variants)\[(\d+)\](?:\.(\w+))?$", error.field)
            if error.field in scalar:
                target = scalar[error.field]
                if not target.errors:  # the form's own check may have said it already
                    target.errors = [error.message]
            elif error.field == "options":
                self.options_errors.append(error.message)
            elif error.field == "variants":
                self.variants_errors.append(error.message)
            elif error.field == "removed_variants":
                self.removal_refused = True  # the page lists them and asks
            elif match and match.group(1) == "options" and int(match.group(2)) < len(filled):
                self.options[filled[int(match.group(2))]].errors.append(error.message)
            elif match and match.group(1) == "variants" and int(match.group(2)) < len(self.rows):
                self.rows[int(match.group(2))].add_error(match.group(3) or "sku", error.message)
            else:
                self.general_errors.append(error.message)


def _row_field(name: str) -> tuple[int, str] | None:
    match = re.match(r"^variants\[(\d+)\]\.(\w+)$", name)
    return (int(match.group(1)), match.group(2)) if match else None


def _json(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def _posted_rows(posted: MultiDict) -> list[VariantRow]:
    indexes = sorted(int(m.group(1)) for key in posted if (m := _ROW_FIELD.match(key)))
    rows = []
    for n in indexes[:MAX_ROWS]:
        prefix = f"variants-{n}-"
        row = VariantRow(
            choice=_choice(posted.get(prefix + "choice", "")),
            sku=posted.get(prefix + "sku", "").strip(),
            price=posted.get(prefix + "price", "").strip(),
            compare_at_price=posted.get(prefix + "compare_at_price", "").strip(),
            track_stock=prefix + "track_stock" in posted,
            allow_backorder=prefix + "allow_backorder" in posted,
            low_stock_threshold=posted.get(prefix + "low_stock_threshold", "").strip(),
            variant_id=_uuid(posted.get(prefix + "id", "").strip()),
        )
        rows.append(row)
    return rows


def _choice(raw: str) -> dict[str, str]:
    value = _json(raw)
    if not isinstance(value, dict) or len(value) > services.MAX_OPTIONS:
        return {}
    return {str(k)[:100]: str(v)[:100] for k, v in value.items()}


def _money(row: VariantRow, name: str, *, required: bool) -> int | None:
    text = getattr(row, name)
    if not text:
        if required:
            row.add_error(name, "Enter a price.")
        return None
    try:
        return parse_money(text)
    except MoneyError as error:
        row.add_error(name, str(error))
        return None


def _whole(row: VariantRow, name: str) -> int:
    try:
        return parse_whole(getattr(row, name) or "0")  # 0 to what the column holds
    except NumberError as error:
        row.add_error(name, str(error))
        return 0
