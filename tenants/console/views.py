"""The operator console at /admin."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates")
