"""Routes that exist only in the test app (tests/support/probe.py)."""

SHOP_ROUTES = {"probe_admin.probe", "probe_admin.boom"}
