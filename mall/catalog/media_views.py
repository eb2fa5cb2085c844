"""Product media: the public image route, and the image and file pages of the back office.

``bp`` (``catalog_media``) serves a shop's product images at
/shop/<slug>/media/<key> (open shops only). The back office pages live on the
``catalog_admin`` blueprint, which adds them with ``add_admin_routes``.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.catalog import forms, queries, services
from mall.catalog import media as catalog_media
from mall.catalog.models import DigitalFile, Product, ProductImage, ProductKind, Variant
from mall.extensions import db
from mall.shops.permissions import requires
from mall.storage import StorageKeyInvalid, storage
from tenants.guard import scoped_get
from tenants.resolution import shop_blueprint

bp = shop_blueprint("catalog_media", __name__, url_prefix="/media")

MEDIA_CACHE = "public, max-age=31536000, immutable"  # keys are random and never reused
PREVIEW_CACHE = "private, max-age=86400"


@bp.get("/<path:key>")
def media(key: str) -> ResponseReturnValue:
    """A product image or thumbnail of this shop; nothing else (digital files never) is served."""
    if not catalog_media.is_public_key(key, g.shop.id):
        abort(404)
    return _stored(key, MEDIA_CACHE)


def _stored(key: str, cache: str) -> Response:
    try:
        data = storage().open(key)
    except (FileNotFoundError, StorageKeyInvalid):
        abort(404)
    response = Response(data, mimetype=catalog_media.content_type_for(key))
    response.headers["Cache-Control"] = cache
    return response


def _product_or_404(product_id: UUID) -> Product:
    product = services.get_product(product_id)
    if product is None:
        abort(404)
    return product


# ---------------------------------------------------------------- images (back office)


@requires("catalog.manage")
def images(product_id: UUID) -> ResponseReturnValue:
    """A product's images in order, with alt text; upload more."""
    return _images_page(_product_or_404(product_id))


def _images_page(
    product: Product,
    form: forms.ImageUploadForm | None = None,
    *,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "catalog/admin/images.html",
        product=product,
        form=form or forms.ImageUploadForm(formdata=None),
        error=error,
        max_mb=catalog_media.MAX_IMAGE_BYTES // (1024 * 1024),
    ), status


@requires("catalog.manage")
def upload_image(product_id: UUID) -> ResponseReturnValue:
    """Add an image (checked by content, re-encoded without metadata); a job makes its thumbnail."""
    product = _product_or_404(product_id)
    form = forms.ImageUploadForm()
    if form.validate():
        data = catalog_media.read_upload(form.image.data, catalog_media.MAX_IMAGE_BYTES)
        if data is None:
            form.image.errors.append("Choose an image to upload.")
        else:
            try:
                catalog_media.add_image(product, data, alt_text=form.alt_text.data or "")
            except catalog_media.MediaError as error:
                db.session.rollback()
                form.image.errors.append(str(error))
            else:
                db.session.commit()
                flash("The image is added.", "success")
                return redirect(url_for("catalog_admin.images", product_id=product_id))
    return _images_page(product, form, status=400)


def _image_or_404(image_id: UUID) -> ProductImage:
    image = scoped_get(ProductImage, image_id)
    if image is None:
        abort(404)
    return image


@requires("catalog.manage")
def update_image(image_id: UUID) -> ResponseReturnValue:
    """Change an image's alt text and position."""
    image = _image_or_404(image_id)
    form = forms.ImageUpdateForm()
    if not form.validate():
        return _images_page(
            image.product, error="Enter the alt text and a position from 1.", status=400
        )
    catalog_media.update_image(
        image, alt_text=form.alt_text.data or "", position=form.position.data
    )
    db.session.commit()
    flash("The image is updated.", "success")
    return redirect(url_for("catalog_admin.images", product_id=image.product_id))


@requires("catalog.manage")
def delete_image(image_id: UUID) -> ResponseReturnValue:
    """Remove an image (its files go once that is committed)."""
    image = _image_or_404(image_id)
    if not forms.ConfirmForm().validate():
        abort(400)
    product_id = image.product_id
    catalog_media.delete_image(image)
    db.session.commit()
    flash("The image is removed.", "success")
    return redirect(url_for("catalog_admin.images", product_id=product_id))


@requires("catalog.manage")
def image_file(image_id: UUID) -> ResponseReturnValue:
    """An image for the back office (``?size=thumb``), whatever the shop's status."""
    image = _image_or_404(image_id)
    key = image.thumbnail_key if request.args.get("size") == "thumb" else None
    return _stored(key or image.storage_key, PREVIEW_CACHE)


# ---------------------------------------------------------------- digital files (back office)


@requires("catalog.manage")
def files(product_id: UUID) -> ResponseReturnValue:
    """Files delivered to buyers of each variant of a digital product."""
    return _files_page(_product_or_404(product_id))


def _files_page(
    product: Product, *, errors: dict | None = None, status: int = 200
) -> ResponseReturnValue:
    variants = queries.variants_with_files(product)
    return render_template(
        "catalog/admin/files.html",
        product=product,
        variants=variants,
        digital=product.kind is ProductKind.DIGITAL,
        errors=errors or {},
    ), status


@requires("catalog.manage")
def upload_file(variant_id: UUID) -> ResponseReturnValue:
    """Store a file for buyers of a digital variant (not public; delivery comes later)."""
    variant = scoped_get(Variant, variant_id)
    if variant is None:
        abort(404)
    form = forms.FileUploadForm()
    problem = "The form expired; please try again."
    if form.validate():
        upload = form.file.data
        data = catalog_media.read_upload(upload, catalog_media.MAX_FILE_BYTES)
        problem = "Choose a file to upload."
        if data is not None:
            try:
                record = catalog_media.add_file(
                    variant, data, filename=upload.filename, content_type=upload.mimetype
                )
            except catalog_media.MediaError as error:
                db.session.rollback()
                problem = str(error)
            else:
                db.session.commit()
                flash(f"{record.filename} is added to {variant.sku}.", "success")
                return redirect(url_for("catalog_admin.files", product_id=variant.product_id))
    return _files_page(variant.product, errors={variant.id: problem}, status=400)


@requires("catalog.manage")
def delete_file(file_id: UUID) -> ResponseReturnValue:
    """Remove a digital file (its bytes go once that is committed)."""
    record = scoped_get(DigitalFile, file_id)
    if record is None:
        abort(404)
    if not forms.ConfirmForm().validate():
        abort(400)
    product_id = record.variant.product_id
    catalog_media.delete_file(record)
    db.session.commit()
    flash("The file is removed.", "success")
    return redirect(url_for("catalog_admin.files", product_id=product_id))


ADMIN_ROUTES = (
    ("/products/<uuid:product_id>/images", images, ("GET",)),
    ("/products/<uuid:product_id>/images/upload", upload_image, ("POST",)),
    ("/images/<uuid:image_id>", update_image, ("POST",)),
    ("/images/<uuid:image_id>/delete", delete_image, ("POST",)),
    ("/images/<uuid:image_id>/file", image_file, ("GET",)),
    ("/products/<uuid:product_id>/files", files, ("GET",)),
    ("/variants/<uuid:variant_id>/files", upload_file, ("POST",)),
    ("/files/<uuid:file_id>/delete", delete_file, ("POST",)),
)


def add_admin_routes(admin: Blueprint) -> None:
    """Add the image and file pages to the catalog back office blueprint."""
    for rule, view, methods in ADMIN_ROUTES:
        admin.add_url_rule(rule, view_func=view, methods=list(methods))
