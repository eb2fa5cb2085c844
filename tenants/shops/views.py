"""Mall-level shop pages for members: register a shop, accept an invitation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shops", __name__, template_folder="templates")
