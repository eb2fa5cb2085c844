"""The shop's digital delivery back office, /shop/<slug>/admin/delivery/: ``delivery_admin``.

- the overview: the shop's defaults (expiry, downloads per file, low-pool mark)
  and its digital variants with their licence key pools (``catalog.manage``);
- a variant's pool: counts, CSV import, its low mark, the product's own policy,
  the keys (decrypted for the shop's staff);
- per order line, from the order page: give access again, extend
  (``orders.manage``).

Rows are read by id through the tenant guard, so another shop's ids answer 404.
Each action: validate, one service, commit (or roll back), flash, 303.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from mall.catalog.models import ProductKind, Variant, option_label
from mall.catalog.services import get_product, get_variant
from mall.delivery import forms, key_imports, keys, queries, services, staff
from mall.delivery.errors import DeliveryError
from mall.errors import get_or_404
from mall.extensions import db
from mall.orders.models import Order, OrderLine
from mall.pagination import page_number
from mall.shops.permissions import can, requires
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "delivery_admin",
    __name__,
    admin=True,
    url_prefix="/admin/delivery",
    template_folder="templates",
)

PER_PAGE = 25


@bp.context_processor
def delivery_helpers() -> dict[str, Any]:
    """What the delivery back office templates (and ``shops/admin_base.html``) use."""
    membership = g.get("membership")
    return {
        "can": lambda permission: membership is not None and can(membership.role, permission),
        "shop": g.get("shop"),
        "reveal": reveal,
        "option_label": option_label,
    }


@bp.after_request
def no_store(response: Response) -> Response:
    """Decrypted keys and customers' orders: never kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("delivery_panel")
def delivery_panel(order: Order) -> dict[str, Any]:
    """What the order page's downloads section shows: each digital line's grant, files, keys
    (decrypted for staff) and the re-grant and extend forms."""
    rows = queries.order_downloads(order, links=False)
    granted = {row.grant.order_line_id for row in rows}
    ungranted = [
        line
        for line in order.lines
        if line.kind == ProductKind.DIGITAL.value and line.id not in granted
    ]
    return {
        "rows": rows,
        "ungranted": ungranted if order.paid_at is not None else [],
        "regrant": {
            line_id: forms.RegrantForm.fresh(prefix=f"regrant-{line_id.hex}")
            for line_id in [row.grant.order_line_id for row in rows]
            + [line.id for line in ungranted]
        },
        "extend": {
            row.grant.order_line_id: forms.ExtendForm.fresh(
                prefix=f"extend-{row.grant.order_line_id.hex}", days=30, downloads=0
            )
            for row in rows
        },
    }


# ---------------------------------------------------------------- overview and defaults


@bp.get("/")
@requires("catalog.manage")
def index() -> ResponseReturnValue:
    """The shop's delivery defaults and its digital variants with their key pools."""
    return _index_page(forms.SettingsForm(obj=services.delivery_settings(), formdata=None))


def _index_page(form: forms.SettingsForm, status: int = 200) -> ResponseReturnValue:
    found = queries.digital_variants(page=page_number(request.args.get("page")), per_page=PER_PAGE)
    pools = keys.pools_of(variant.id for variant in found.items)
    counts = keys.counts_of([pool.id for pool in pools.values()], pools.keys())
    return render_template(
        "delivery/admin/index.html", form=form, page=found, pools=pools, counts=counts
    ), status


@bp.post("/settings")
@requires("catalog.manage")
def save_settings() -> ResponseReturnValue:
    """Save the shop's defaults (later sales use them; grants keep what they got)."""
    form = forms.SettingsForm()
    if not form.validate():
        return _index_page(form, 422)
    try:
        services.update_settings(
            services.delivery_settings(),
            expiry_days=form.expiry_days.data,
            download_limit=form.download_limit.data,
            low_pool_threshold=form.low_pool_threshold.data,
        )
        db.session.commit()
    except DeliveryError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _index_page(form, 422)
    flash("Delivery defaults saved. Sales from now on use them.", "success")
    return redirect(url_for("delivery_admin.index"), 303)


# ---------------------------------------------------------------- one variant's pool


@bp.get("/variants/<uuid:variant_id>")
@requires("catalog.manage")
def pool(variant_id: UUID) -> ResponseReturnValue:
    """A digital variant: its product's policy and its licence key pool."""
    variant = _digital_variant(variant_id)
    return _pool_page(variant)


def _pool_page(variant: Variant, status: int = 200, **shown: Any) -> ResponseReturnValue:
    found = keys.get_pool(variant)
    counts = keys.counts_of([found.id], [variant.id]).get(found.id) if found else None
    listed = None
    if found is not None:
        listed = queries.pool_keys(
            found.id, page=page_number(request.args.get("page")), per_page=PER_PAGE
        )
    policy = services.policy_of(variant.product)
    settings = services.delivery_settings()
    return render_template(
        "delivery/admin/pool.html",
        variant=variant,
        product=variant.product,
        pool=found,
        counts=counts,
        keys_page=listed,
        low_mark=keys.low_mark(found) if found is not None else settings.low_pool_threshold,
        settings=settings,
        policy_form=shown.get("policy_form") or forms.PolicyForm(obj=policy, formdata=None),
        import_form=shown.get("import_form") or forms.KeyImportForm(formdata=None),
        threshold_form=shown.get("threshold_form")
        or forms.ThresholdForm(
            formdata=None, threshold=found.low_threshold if found is not None else None
        ),
    ), status


def _digital_variant(variant_id: UUID) -> Variant:
    variant = get_or_404(get_variant, variant_id)
    if variant.product.kind is not ProductKind.DIGITAL:
        abort(404)
    return variant


@bp.post("/variants/<uuid:variant_id>/keys")
@requires("catalog.manage")
def import_keys(variant_id: UUID) -> ResponseReturnValue:
    """Add licence keys from a CSV file (all or none); waiting lines get theirs."""
    variant = _digital_variant(variant_id)
    form = forms.KeyImportForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        form.file.errors = [*form.file.errors, "Choose a CSV file of keys."]
        return _pool_page(variant, 422, import_form=form)
    try:
        done = key_imports.import_keys(variant, upload.read(key_imports.MAX_FILE_BYTES + 1))
        db.session.commit()
    except DeliveryError as refused:
        db.session.rollback()
        form.file.errors = [str(refused)]
        return _pool_page(_digital_variant(variant_id), 422, import_form=form)
    message = f"Imported {done.added} key(s)."
    if done.filled:
        message += f" {done.filled} order line(s) that waited got their keys; the buyers are told."
    flash(message, "success")
    return redirect(url_for("delivery_admin.pool", variant_id=variant_id), 303)


@bp.post("/variants/<uuid:variant_id>/threshold")
@requires("catalog.manage")
def set_threshold(variant_id: UUID) -> ResponseReturnValue:
    """The pool's own low mark (blank: the shop's default)."""
    variant = _digital_variant(variant_id)
    form = forms.ThresholdForm()
    if not form.validate():
        return _pool_page(variant, 422, threshold_form=form)
    return _act(
        url_for("delivery_admin.pool", variant_id=variant_id),
        lambda: key_imports.set_low_threshold(
            key_imports.ensure_pool(variant), threshold=form.threshold.data
        ),
        done="Low-pool warning saved.",
    )


@bp.post("/products/<uuid:product_id>/policy")
@requires("catalog.manage")
def set_policy(product_id: UUID) -> ResponseReturnValue:
    """A product's own expiry and download limit (blank: the shop's defaults)."""
    product = get_or_404(get_product, product_id)
    variant = product.variants[0] if product.variants else None
    form = forms.PolicyForm()
    back = (
        url_for("delivery_admin.pool", variant_id=variant.id)
        if variant is not None
        else url_for("delivery_admin.index")
    )
    if not form.validate():
        if variant is not None and product.kind is ProductKind.DIGITAL:
            return _pool_page(variant, 422, policy_form=form)
        flash("Enter whole numbers, or leave the fields blank.", "error")
        return redirect(back, 303)
    return _act(
        back,
        lambda: services.set_policy(
            product, expiry_days=form.expiry_days.data, download_limit=form.download_limit.data
        ),
        done=f"Delivery policy of “{product.title}” saved. Sales from now on use it.",
    )


def _act(
    back: str, run: Callable[[], object], *, done: str, unchanged: str | None = None
) -> ResponseReturnValue:
    """Run one service and commit, then flash ``done`` (or ``unchanged``, if given, when it
    changed nothing); a refusal is rolled back and flashed. 303 to ``back`` either way."""
    try:
        changed = run()
        db.session.commit()
    except DeliveryError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        if unchanged is not None and not changed:
            flash(unchanged, "info")
        else:
            flash(done, "success")
    return redirect(back, 303)


# ---------------------------------------------------------------- staff actions per order line


@bp.post("/lines/<uuid:line_id>/regrant")
@requires("orders.manage")
def regrant(line_id: UUID) -> ResponseReturnValue:
    """Give the line's buyer access again (active, counts reset, a new expiry)."""
    line, back = _line_and_back(line_id)
    form = forms.RegrantForm(prefix=f"regrant-{line.id.hex}")
    if not form.validate():
        flash(_first_error(form), "error")
        return redirect(back, 303)
    return _act(
        back,
        lambda: staff.regrant(
            line,
            actor_id=current_user.id,
            key=form.key.data,
            days=form.days.data,
            refunded_ok=bool(form.refunded_ok.data),
        )[1],
        done=f"“{line.title}”: access given again; the buyer is emailed their links.",
        unchanged=_already(line),
    )


@bp.post("/lines/<uuid:line_id>/extend")
@requires("orders.manage")
def extend(line_id: UUID) -> ResponseReturnValue:
    """Add days and downloads to the line's grant."""
    line, back = _line_and_back(line_id)
    grant = services.grant_of_line(line)
    form = forms.ExtendForm(prefix=f"extend-{line.id.hex}")
    if grant is None:
        flash(f"“{line.title}” has no download access yet: give it first.", "error")
        return redirect(back, 303)
    if not form.validate():
        flash(_first_error(form), "error")
        return redirect(back, 303)
    return _act(
        back,
        lambda: staff.extend_grant(
            grant,
            days=form.days.data,
            downloads=form.downloads.data,
            actor_id=current_user.id,
            key=form.key.data,
        ),
        done=f"“{line.title}”: download access extended.",
        unchanged=_already(line),
    )


def _line_and_back(line_id: UUID) -> tuple[OrderLine, str]:
    """The shop's order line (else 404) and its order page's downloads section."""
    line = get_or_404(services.get_line, line_id)
    return line, url_for("orders_admin.order", order_id=line.order_id) + "#downloads-heading"


def _already(line: OrderLine) -> str:
    return f"“{line.title}”: this was already done, nothing changed."


def _first_error(form: Any) -> str:
    for field in form:
        for error in field.errors:
            return (
                f"{field.label.text}: {error}"
                if field.name.endswith(("days", "downloads"))
                else str(error)
            )
    return forms.EXPIRED
