"""The public catalog: categories, search, sitemap (mall-wide)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalog", __name__, template_folder="templates")
