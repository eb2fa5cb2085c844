"""The tenants blueprint: carries the tenancy templates (shop status pages).

Shop registration, staff and the operator console add their routes here.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tenants", __name__, template_folder="templates")
