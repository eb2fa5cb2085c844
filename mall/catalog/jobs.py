"""Catalog jobs (ids only): thumbnails, clean-up of stored files, search reindexing, CSV imports.

Each job loads its rows by id and calls a service. Services import this module
to enqueue; the jobs import the services inside their bodies, so the
dependency points one way.
"""

from __future__ import annotations

from mall.jobs import job


@job(queue="default")
def make_thumbnail(image_id: str) -> None:
    """Shrink a product image to fit 400x400 (WebP) and record it on the image."""
    from mall.catalog import media, services

    image = services.get_image(image_id)
    if image is not None:  # deleted meanwhile
        media.store_thumbnail(image)


@job(queue="maintenance")
def delete_stored_file(key: str) -> None:
    """Delete a stored product image or digital file of the shop in context."""
    from mall.catalog import media

    media.delete_stored(key)


@job(queue="maintenance")
def reindex_shop() -> int:
    """Reindex every product of the shop in context (after a rename); returns how many."""
    from mall.catalog import search_index

    return search_index.reindex_shop()


@job(queue="maintenance")
def reindex_category(category_id: str) -> int:
    """Reindex the products of a renamed category, shop by shop; returns how many."""
    from mall.catalog import search_index

    return search_index.reindex_category(category_id)


@job(queue="default")
def run_import(import_id: str) -> None:
    """Validate a stored CSV file (committing progress), then apply it all or nothing."""
    from mall.catalog import imports

    record = imports.get_import(import_id)
    if record is not None:
        imports.process_import(record)
