"""Operators manage the mall's category tree at /admin/categories."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "category_admin", __name__, url_prefix="/admin/categories", template_folder="templates"
)
