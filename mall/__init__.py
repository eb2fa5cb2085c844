"""Mall: a multi-tenant hosted shopping mall. ``create_app`` builds the Flask app."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path

from flask import Flask

from config import Config, load_config

# The tenancy core and the domains, in the order they wire themselves into the
# app (blueprints register in this order, so earlier templates win a name
# clash). Each package has ``init_app(app)``; its ``models`` module, if any, maps
# its tables. Imported inside create_app so that importing ``mall`` pulls in none.
DOMAINS: tuple[str, ...] = (
    "tenants",
    "mall.pagecache",
    "mall.pages",
    "mall.accounts",
    "mall.storefront",
    "mall.shops",
    "mall.console",
    "mall.catalog",
    "mall.coupons",
    "mall.pricing",
    "mall.cart",
    "mall.orders",
    "mall.payments",
    "mall.checkout",
    "mall.ledger",
    "mall.delivery",
    "mall.invoices",
    "mall.newsletters",
    "mall.crm",
    "mall.returns",
    "mall.demo",
    "affiliates",
    "vendors",
)


def create_app(config: Config | None = None) -> Flask:
    """Build the app for ``config`` (default: from the environment, ``MALL_ENV``)."""
    config = config or load_config()
    config.validate()
    app = Flask(__name__, instance_path=str(Path(config.INSTANCE_PATH)))
    app.config.from_object(config)
    from tenants.keys.templating import ErasingEnvironment

    # Before any extension touches app.jinja_env: shredded values render as "[erased]".
    app.jinja_environment = ErasingEnvironment
    _configure_logging(app)
    _init_core(app)
    for name in DOMAINS:
        importlib.import_module(name).init_app(app)
    return app


def load_models() -> None:
    """Import every module that maps tables: core's, then each domain's ``models``."""
    importlib.import_module("mall.jobs")
    for name in DOMAINS:
        if importlib.util.find_spec(f"{name}.models") is not None:
            importlib.import_module(f"{name}.models")


def _init_core(app: Flask) -> None:
    from mall import assets, cli, errors, jobs, security
    from mall.extensions import csrf, db, limiter, migrate
    from mall.schedule import add_periodic

    load_models()
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Database errors must never carry row values (personal data) into logs.
    options.setdefault("hide_parameters", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    jobs.use_app(app)
    errors.register(app)
    security.register(app)
    assets.init_app(app)
    cli.init_app(app)
    add_periodic(app, jobs.prune_job_failures, interval=24 * 3600)

    @app.context_processor
    def helpers() -> dict:
        return {"has_endpoint": lambda name: name in app.view_functions}


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
