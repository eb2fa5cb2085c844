"""The catalog's CSV import and export pages (shop back office)."""

from __future__ import annotations

from mall.extensions import db

SHOP_ROUTES = {
    "catalog_csv.index",
    "catalog_csv.upload",
    "catalog_csv.import_status",
    "catalog_csv.export",
}


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


OBJECT_IDS = {"import_id": make_import}
