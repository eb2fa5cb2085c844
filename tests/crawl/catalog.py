"""The catalog: the shop's back office (products, stock, media, CSV), its public product
images, and the operators' category tree. (Its mall-wide public pages are with the
storefront's.)"""

from __future__ import annotations

import io
from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "catalog_admin.products",
    "catalog_admin.new_product",
    "catalog_admin.edit_product",
    "catalog_admin.delete_product",
    "catalog_admin.stock",
    "catalog_admin.images",
    "catalog_admin.upload_image",
    "catalog_admin.update_image",
    "catalog_admin.delete_image",
    "catalog_admin.image_file",
    "catalog_admin.files",
    "catalog_admin.upload_file",
    "catalog_admin.delete_file",
    "catalog_admin.csv_index",
    "catalog_admin.csv_upload",
    "catalog_admin.csv_import_status",
    "catalog_admin.csv_export",
    "catalog_media.media",
}

# Operators only, platform data.
MALL_ROUTES = {
    "category_admin.index",
    "category_admin.create",
    "category_admin.edit",
    "category_admin.move",
    "category_admin.delete",
}


def _product(shop, *, digital: bool = False):
    """A product of ``shop`` (created in its context); returns it, still in the session."""
    from mall.catalog import services
    from mall.catalog.models import ProductKind

    sku = f"CRAWL-{uuid4().hex[:10]}"
    return services.create_product(
        services.ProductInput(
            title=f"Crawl {sku}",
            kind=ProductKind.DIGITAL if digital else ProductKind.PHYSICAL,
            variants=[services.VariantInput(sku=sku, price=500)],
        )
    )


def make_product(shop):
    """A product of ``shop``; returns its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        product_id = _product(shop).id
        db.session.commit()
    return product_id


def make_variant(shop):
    """A variant of a digital product of ``shop``; returns its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        variant_id = _product(shop, digital=True).variants[0].id
        db.session.commit()
    return variant_id


def _image(shop):
    from PIL import Image

    from mall.catalog import media
    from tenants.context import tenant_context

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="PNG")
    with tenant_context(shop):
        image = media.add_image(_product(shop), out.getvalue(), alt_text="Crawl")
        image_id, key = image.id, image.storage_key
        db.session.commit()
    return image_id, key


def make_image(shop):
    """A stored product image of ``shop``; returns its id."""
    return _image(shop)[0]


def make_image_key(shop):
    """The storage key of a real product image of ``shop`` (the public media path)."""
    return _image(shop)[1]


def make_file(shop):
    """A digital file of a variant of ``shop``; returns its id."""
    from mall.catalog import media
    from tenants.context import tenant_context

    with tenant_context(shop):
        variant = _product(shop, digital=True).variants[0]
        record = media.add_file(
            variant, b"%PDF-1.4 crawl", filename="guide.pdf", content_type="application/pdf"
        )
        file_id = record.id
        db.session.commit()
    return file_id


def make_import(shop):
    """A finished catalog import of ``shop``; returns its id."""
    from mall.catalog.models import CatalogImport, ImportStatus
    from tenants.context import tenant_context

    with tenant_context(shop):
        record = CatalogImport(
            storage_key=f"imports/{shop.id}/crawl.csv",
            filename="crawl.csv",
            status=ImportStatus.DONE,
        )
        db.session.add(record)
        db.session.flush()
        import_id = record.id
        db.session.commit()
    return import_id


OBJECT_IDS = {
    "product_id": make_product,
    "variant_id": make_variant,
    "image_id": make_image,
    "file_id": make_file,
    "key": make_image_key,
    "import_id": make_import,
}
