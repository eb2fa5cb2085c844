"""A product's images and digital files in the back office."""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from mall.catalog import forms, media, queries, services
from mall.catalog.admin_views import bp
from mall.catalog.models import Product, ProductKind
from mall.catalog.views import serve_stored
from mall.errors import get_or_404
from mall.extensions import db
from mall.shops.permissions import requires

PREVIEW_CACHE = "private, max-age=86400"


# ---------------------------------------------------------------- images


@bp.get("/products/<uuid:product_id>/images")
@requires("catalog.manage")
def images(product_id: UUID) -> ResponseReturnValue:
    """A product's images in order, with alt text; upload more."""
    return _images_page(get_or_404(services.get_product, product_id))


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
        max_mb=media.MAX_IMAGE_BYTES // (1024 * 1024),
    ), status


@bp.post("/products/<uuid:product_id>/images/upload")
@requires("catalog.manage")
def upload_image(product_id: UUID) -> ResponseReturnValue:
    """Add an image (checked by content, re-encoded without metadata); a job makes its thumbnail."""
    product = get_or_404(services.get_product, product_id)
    form = forms.ImageUploadForm()
    if form.validate():
        data = media.read_upload(form.image.data, media.MAX_IMAGE_BYTES)
        if data is None:
            form.image.errors.append("Choose an image to upload.")
        else:
            try:
                media.add_image(product, data, alt_text=form.alt_text.data or "")
            except media.MediaError as error:
                db.session.rollback()
                form.image.errors.append(str(error))
            else:
                db.session.commit()
                flash("The image is added.", "success")
                return redirect(url_for("catalog_admin.images", product_id=product_id))
    return _images_page(product, form, status=400)


@bp.post("/images/<uuid:image_id>")
@requires("catalog.manage")
def update_image(image_id: UUID) -> ResponseReturnValue:
    """Change an image's alt text and position."""
    image = get_or_404(services.get_image, image_id)
    form = forms.ImageUpdateForm()
    if not form.validate():
        return _images_page(
            image.product, error="Enter the alt text and a position from 1.", status=400
        )
    media.update_image(image, alt_text=form.alt_text.data or "", position=form.position.data)
    db.session.commit()
    flash("The image is updated.", "success")
    return redirect(url_for("catalog_admin.images", product_id=image.product_id))


@bp.post("/images/<uuid:image_id>/delete")
@requires("catalog.manage")
def delete_image(image_id: UUID) -> ResponseReturnValue:
    """Remove an image (its files go once that is committed)."""
    image = get_or_404(services.get_image, image_id)
    if not forms.ConfirmForm().validate():
        abort(400)
    product_id = image.product_id
    media.delete_image(image)
    db.session.commit()
    flash("The image is removed.", "success")
    return redirect(url_for("catalog_admin.images", product_id=product_id))


@bp.get("/images/<uuid:image_id>/file")
@requires("catalog.manage")
def image_file(image_id: UUID) -> ResponseReturnValue:
    """An image for the back office (``?size=thumb``), whatever the shop's status."""
    image = get_or_404(services.get_image, image_id)
    key = image.thumbnail_key if request.args.get("size") == "thumb" else None
    return serve_stored(key or image.storage_key, PREVIEW_CACHE)


# ---------------------------------------------------------------- digital files


@bp.get("/products/<uuid:product_id>/files")
@requires("catalog.manage")
def files(product_id: UUID) -> ResponseReturnValue:
    """Files delivered to buyers of each variant of a digital product."""
    return _files_page(get_or_404(services.get_product, product_id))


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


@bp.post("/variants/<uuid:variant_id>/files")
@requires("catalog.manage")
def upload_file(variant_id: UUID) -> ResponseReturnValue:
    """Store a file for buyers of a digital variant (not public; delivery comes later)."""
    variant = get_or_404(services.get_variant, variant_id)
    form = forms.FileUploadForm()
    problem = "The form expired; please try again."
    if form.validate():
        upload = form.file.data
        data = media.read_upload(upload, media.MAX_FILE_BYTES)
        problem = "Choose a file to upload."
        if data is not None:
            try:
                record = media.add_file(
                    variant, data, filename=upload.filename, content_type=upload.mimetype
                )
            except media.MediaError as error:
                db.session.rollback()
                problem = str(error)
            else:
                db.session.commit()
                flash(f"{record.filename} is added to {variant.sku}.", "success")
                return redirect(url_for("catalog_admin.files", product_id=variant.product_id))
    return _files_page(variant.product, errors={variant.id: problem}, status=400)


@bp.post("/files/<uuid:file_id>/delete")
@requires("catalog.manage")
def delete_file(file_id: UUID) -> ResponseReturnValue:
    """Remove a digital file (its bytes go once that is committed)."""
    record = get_or_404(services.get_file, file_id)
    if not forms.ConfirmForm().validate():
        abort(400)
    product_id = record.variant.product_id
    media.delete_file(record)
    db.session.commit()
    flash("The file is removed.", "success")
    return redirect(url_for("catalog_admin.files", product_id=product_id))
