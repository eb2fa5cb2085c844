"""CSV import and export of a shop's catalog at /shop/<slug>/admin/catalog/csv/."""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from flask import Response, abort, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage

from mall.catalog import csv_io, imports
from mall.catalog.models import ImportStatus
from mall.extensions import db
from mall.shops.permissions import can, requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "catalog_csv",
    __name__,
    admin=True,
    url_prefix="/admin/catalog/csv",
    template_folder="templates",
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField("CSV file")


@bp.context_processor
def admin_helpers() -> dict[str, Any]:
    """``can(permission)`` for the back office navigation."""
    membership = g.get("membership")
    return {
        "can": lambda permission: membership is not None and can(membership.role, permission),
        "required_columns": csv_io.REQUIRED,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


def _index(form: UploadForm, *, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "catalog/csv/index.html",
        shop=g.shop,
        form=form,
        error=error,
        imports=imports.recent_imports(),
    ), status


@bp.get("/")
@requires("catalog.manage")
def index() -> ResponseReturnValue:
    """The upload form, the file format, and the latest imports."""
    return _index(UploadForm(formdata=None))


@bp.post("/import")
@requires("catalog.manage")
def upload() -> ResponseReturnValue:
    """Store an uploaded CSV file and queue its import."""
    form = UploadForm()
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
    return redirect(url_for("catalog_csv.import_status", import_id=import_id))


@bp.get("/imports/<uuid:import_id>")
@requires("catalog.manage")
def import_status(import_id: UUID) -> ResponseReturnValue:
    """An import's status, progress and problems (refreshing itself until it finishes)."""
    record = imports.get_import(import_id)
    if record is None:
        abort(404)
    return render_template(
        "catalog/csv/import.html",
        shop=g.shop,
        record=record,
        percent=imports.percent_done(record),
        finished=record.status in imports.FINISHED,
        statuses=ImportStatus,
    )


@bp.get("/export.csv")
@requires("catalog.manage")
def export() -> ResponseReturnValue:
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
