"""Catalog jobs (ids only): product image thumbnails and clean-up of stored files."""

from __future__ import annotations

from mall.jobs import job


@job(queue="default")
def make_thumbnail(image_id: str) -> None:
    """Shrink a product image to fit 400x400 (WebP) and record it on the image."""
    from mall.catalog import media
    from mall.catalog.models import ProductImage
    from mall.storage import storage
    from tenants.guard import scoped_get

    image = scoped_get(ProductImage, image_id)
    if image is None or image.thumbnail_key:
        return  # deleted meanwhile, or already made by an earlier run
    try:
        data = storage().open(image.storage_key)
    except FileNotFoundError:
        return
    image.thumbnail_key = media.store_image(image.tenant_id, media.make_thumbnail(data))


@job(queue="maintenance")
def delete_stored_file(key: str) -> None:
    """Delete a stored product image or digital file of the shop in context."""
    from mall.catalog import media
    from mall.storage import storage
    from tenants.context import current_tenant_id

    tenant_id = current_tenant_id()
    # A key is an id here, but never trust it to point at another shop's files.
    prefixes = (f"{media.IMAGE_PREFIX}/{tenant_id}/", f"{media.FILE_PREFIX}/{tenant_id}/")
    if tenant_id is not None and key.startswith(prefixes):
        storage().delete(key)
