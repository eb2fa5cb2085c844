"""Mall: a multi-tenant hosted shopping mall. ``create_app`` builds the Flask app."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from config import Config, load_config

# Blueprints, in registration order: (module, attribute). Imported inside
# create_app so that importing ``mall`` pulls in no domain.
BLUEPRINTS: tuple[tuple[str, str], ...] = (
    ("tenants.views", "bp"),
    ("mall.pages.views", "bp"),
    ("mall.accounts.views", "bp"),
    ("mall.storefront.views", "bp"),
    ("tenants.shops.views", "bp"),
    ("tenants.shops.admin_views", "bp"),
    ("tenants.console.views", "bp"),
    ("mall.catalog.views", "bp"),
    ("mall.catalog.admin_views", "bp"),
    ("mall.catalog.import_views", "bp"),
    ("mall.catalog.category_admin", "bp"),
    ("mall.catalog.media_views", "bp"),
    ("mall.cart.views", "bp"),
)


def create_app(config: Config | None = None) -> Flask:
    """Build the app for ``config`` (default: from the environment, ``MALL_ENV``)."""
    config = config or load_config()
    config.validate()
    app = Flask(__name__, instance_path=str(Path(config.INSTANCE_PATH)))
    app.config.from_object(config)
    from tenants.keys.templating import ErasingEnvironment

    app.jinja_environment = ErasingEnvironment  # shredded values render as "[erased]"
    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)

    from mall import cli, errors, security
    from tenants.resolution import ShopHostMiddleware, leave_shop

    errors.register(app)
    security.register(app)
    cli.register(app)
    app.teardown_request(leave_shop)
    _register_template_helpers(app)
    app.wsgi_app = ShopHostMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
    return app


MODEL_MODULES: tuple[str, ...] = (
    "mall.jobs",
    "tenants.models",
    "mall.accounts.models",
    "tenants.shops.models",
    "tenants.console.models",
    "mall.catalog.models",
)


def load_models() -> None:
    """Import every module that maps tables (and the ORM guard's session hooks)."""
    import importlib

    # The guard's session hooks and the shop admin gate register themselves on import.
    hooks = ("tenants.guard", "tenants.shops.permissions", "mall.catalog.search_index")
    for module_name in (*MODEL_MODULES, *hooks):
        importlib.import_module(module_name)


def _init_extensions(app: Flask) -> None:
    from mall import jobs
    from mall.extensions import csrf, db, limiter, migrate
    from tenants import keys

    load_models()
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Database errors must never carry row values (personal data) into logs.
    options.setdefault("hide_parameters", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    from mall.accounts import auth

    auth.init_app(app)
    jobs.use_app(app)
    keys.init_app(app)


def _register_blueprints(app: Flask) -> None:
    import importlib

    for module_name, attribute in BLUEPRINTS:
        app.register_blueprint(getattr(importlib.import_module(module_name), attribute))


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def helpers() -> dict:
        return {"has_endpoint": lambda name: name in app.view_functions}
