"""The cart at /cart."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cart", __name__, url_prefix="/cart", template_folder="templates")
