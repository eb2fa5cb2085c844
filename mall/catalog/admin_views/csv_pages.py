"""CSV import and export of a shop's catalog at /shop/<slug>/admin/catalog/csv/."""

from __future__ import annotations

import io
from uuid import UUID

from flask import Response, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from mall.catalog import csv_io, imports
from mall.catalog.admin_views import MAX_UPLOAD_BYTES, bp
from mall.catalog.forms import CsvUploadForm
from mall.catalog.models import ImportStatus
from mall.errors import get_or_404
from mall.extensions import db
from mall.shops.permissions import requires


def _index(
    form: CsvUploadForm, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "catalog/csv/index.html",
        shop=g.shop,
        form=form,
        error=error,
        imports=imports.recent_imports(),
    ), status


@bp.get("/csv/")
@requires("catalog.manage")
def csv_index() -> ResponseReturnValue:
    """The upload form, the file format, and the latest imports."""
    return _index(CsvUploadForm(formdata=None))


@bp.post("/csv/import")
@requires("catalog.manage")
def csv_upload() -> ResponseReturnValue:
    """Store an uploaded CSV file and queue its import."""
    form = CsvUploadForm()
    if not form.validate_on_submit():
        return _index(form, error="Your form expired. Please choose the file again.", status=400)
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return _index(form, error="Choose a CSV file to import.", status=400)
    if not upload.filename.lower().endswith(".csv"):
        return _index(form, error="Only .csv files can be imported.", status=400)
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        message = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        return _index(form, error=message, status=400)
    record = imports.start_import(upload.filename, data, user_id=current_user.id)
    import_id = record.id
    # Without Redis the job runs inline during this commit.
    db.session.commit()
    return redirect(url_for("catalog_admin.csv_import_status", import_id=import_id))


@bp.get("/csv/imports/<uuid:import_id>")
@requires("catalog.manage")
def csv_import_status(import_id: UUID) -> ResponseReturnValue:
    """An import's status, progress and problems (refreshing itself until it finishes)."""
    record = get_or_404(imports.get_import, import_id)
    return render_template(
        "catalog/csv/import.html",
        shop=g.shop,
        record=record,
        percent=imports.percent_done(record),
        finished=record.status in imports.FINISHED,
        statuses=ImportStatus,
    )


@bp.get("/csv/export.csv")
@requires("catalog.manage")
def csv_export() -> ResponseReturnValue:
    """Download the shop's catalog as CSV."""
    buffer = io.StringIO()
    csv_io.export_csv(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{g.shop.slug}-catalog.csv"',
            "Cache-Control": "no-store",
        },
    )
