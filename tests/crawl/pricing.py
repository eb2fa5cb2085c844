"""Pricing: a shop's shipping methods and tax rates (back office), and the operator's
tax collection page."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "pricing_admin.shipping",
    "pricing_admin.new_method",
    "pricing_admin.edit_method",
    "pricing_admin.method_active",
    "pricing_admin.delete_method",
    "pricing_admin.tax",
    "pricing_admin.tax_settings",
    "pricing_admin.new_rate",
    "pricing_admin.edit_rate",
    "pricing_admin.delete_rate",
}

# Operators only, platform data.
MALL_ROUTES = {"pricing_console.facilitators"}


def make_method(shop):
    """A flat-rate shipping method of ``shop``; returns its id."""
    from mall.pricing import services
    from tenants.context import tenant_context

    with tenant_context(shop):
        method = services.create_method(
            services.MethodInput(name=f"Crawl post {uuid4().hex[:8]}", kind="flat", price=490)
        )
        method_id = method.id
        db.session.commit()
    return method_id


def make_rate(shop):
    """A tax rate of ``shop``; returns its id."""
    from mall.countries import country_choices
    from mall.pricing import services
    from tenants.context import tenant_context

    with tenant_context(shop):
        # One rate per (class, country): a fresh country for each call.
        taken = {rate.country for rate in services.rate_list(per_page=100).items}
        country = next(code for code, _ in country_choices() if code not in taken)
        rate = services.add_rate(
            services.RateInput(tax_class="standard", country=country, rate_bp=1900)
        )
        rate_id = rate.id
        db.session.commit()
    return rate_id


OBJECT_IDS = {"method_id": make_method, "rate_id": make_rate}
