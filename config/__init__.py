"""Settings for Mall: every secret and URL comes from the environment.

Three classes: ``DevelopmentConfig`` (the embedded defaults: it creates what it
lacks in ``instance/`` and says so once), ``TestingConfig`` (what the test
fixtures pass in) and ``ProductionConfig`` (refuses to start on any development
default, naming the variable). ``load_config()`` picks one from ``MALL_ENV``.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a deployment Mall can start on."""


def default_instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where development keeps its files: ``MALL_INSTANCE_PATH`` or ``./instance``."""
    env = os.environ if environ is None else environ
    return Path(env.get("MALL_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def whole_setting(env: Mapping[str, str], name: str, default: int, *, least: int = 1) -> int:
    """A whole-number setting from ``env``; a bad or too small value names the variable."""
    raw = env.get(name)
    if not raw:
        return default
    if not raw.strip().isascii() or not raw.strip().isdigit() or int(raw) < least:
        raise ConfigError(f"{name} must be a whole number of at least {least}, not {raw!r}.")
    return int(raw)


class Config:
    """Settings shared by every environment, read from ``environ``."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    MALL_NAME = "Mall"
    BCRYPT_ROUNDS = 12
    KEY_CACHE_TTL = 300
    KEY_PRIMARY_TTL = 30
    PAGE_CACHE_TTL = 600  # seconds a cached fragment lives (versions retire it sooner)
    SHOP_CACHE_TTL = 60  # seconds a cached shop lives at most (see tenants.shop_cache)
    SHOP_CACHE_CHECK = 1  # seconds between looks at the other workers' changes
    # Jobs that fail inline are recorded and logged; tests want them raised too.
    JOBS_INLINE_RAISE = False

    def __init__(
        self, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> None:
        env = dict(os.environ if environ is None else environ)
        self.INSTANCE_PATH = Path(instance_path or default_instance_path(env))
        self.SECRET_KEY = env.get("MALL_SECRET_KEY") or None
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(env.get("MALL_DATABASE_URL"))
        self.MIGRATION_DATABASE_URL = (
            normalise_database_url(env.get("MALL_MIGRATION_DATABASE_URL"))
            or self.SQLALCHEMY_DATABASE_URI
        )
        self.REDIS_URL = env.get("MALL_REDIS_URL") or None
        self.MASTER_KEYS = env.get("MALL_MASTER_KEYS") or None
        self.KEYSTORE_URL = normalise_database_url(env.get("MALL_KEYSTORE_URL"))
        self.BASE_DOMAIN = (env.get("MALL_BASE_DOMAIN") or "").lower() or None
        self.CURRENCY = (env.get("MALL_CURRENCY") or "USD").upper()
        self.STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET") or None
        # The Connect webhook (shops' accounts: ``account.updated``) is a separate endpoint
        # in Stripe's dashboard, with its own signing secret.
        self.STRIPE_CONNECT_WEBHOOK_SECRET = env.get("STRIPE_CONNECT_WEBHOOK_SECRET") or None
        # Another Stripe-compatible API (tests: a local stub); None means Stripe's own.
        self.STRIPE_API_BASE = env.get("MALL_STRIPE_API_BASE") or None
        # Where Stripe Checkout's hosted page lives: the review page must allow it as a form
        # target, since browsers hold a form's redirect to the page's CSP ``form-action``.
        self.STRIPE_CHECKOUT_ORIGIN = (
            env.get("MALL_STRIPE_CHECKOUT_ORIGIN") or "https://checkout.stripe.com"
        )
        # Offline card details not processed within this many hours are deleted (order cancelled).
        self.OFFLINE_CARD_DEADLINE_HOURS = whole_setting(
            env, "MALL_OFFLINE_CARD_DEADLINE_HOURS", 72
        )
        # Carts unused this long are deleted (guests' and accounts').
        self.CART_IDLE_DAYS = whole_setting(env, "MALL_CART_IDLE_DAYS", 30)
        # Stock is held this long for an unpaid card checkout (at least 30: a Stripe
        # Checkout Session lives at least 30 minutes, and the hold must outlive it).
        self.CHECKOUT_HOLD_MINUTES = whole_setting(env, "MALL_CHECKOUT_HOLD_MINUTES", 60, least=30)
        # ... and this long for a bank transfer or an offline card the shop charges later.
        self.MANUAL_PAYMENT_HOLD_DAYS = whole_setting(env, "MALL_MANUAL_PAYMENT_HOLD_DAYS", 7)
        # Personal data retention (the privacy page reads these; the gdpr jobs apply them):
        # shops' order copies are anonymised this many years after the order (tax records),
        self.RETENTION_YEARS = whole_setting(env, "MALL_RETENTION_YEARS", 7)
        # sign-in events and download logs (IP addresses) are deleted after this many days,
        self.LOG_RETENTION_DAYS = whole_setting(env, "MALL_LOG_RETENTION_DAYS", 90)
        # and a data export's download link works this many hours.
        self.EXPORT_LINK_HOURS = whole_setting(env, "MALL_EXPORT_LINK_HOURS", 48)
        # Digital downloads: Mall streams the file (empty), or the web server does it for
        # ``x-accel-redirect`` (nginx: an ``internal`` location under the prefix, aliased to
        # the storage root) or ``x-sendfile``; a file link works this many seconds.
        self.DOWNLOAD_ACCEL = (env.get("MALL_DOWNLOAD_ACCEL") or "").strip().lower()
        self.DOWNLOAD_ACCEL_PREFIX = env.get("MALL_DOWNLOAD_ACCEL_PREFIX") or "/protected-files"
        self.DOWNLOAD_LINK_TTL = whole_setting(env, "MALL_DOWNLOAD_LINK_TTL", 7 * 24 * 3600)
        self.SMTP_URL = env.get("SMTP_URL") or None
        self.PUBLIC_URL = (env.get("MALL_PUBLIC_URL") or "").rstrip("/") or None
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Cached fragments of public pages (mall.pagecache): shared in Redis, else in-process.
        self.PAGE_CACHE_URL = env.get("MALL_PAGE_CACHE_URL") or self.REDIS_URL
        self.PAGE_CACHE_ENABLED = env.get("MALL_PAGE_CACHE", "on").lower() not in ("off", "0")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_DATABASE_URI = self.SQLALCHEMY_DATABASE_URI or ""

    def validate(self) -> None:
        """Check the settings; subclasses refuse what their environment cannot run on."""
        if len(self.CURRENCY) != 3 or not self.CURRENCY.isalpha():
            raise ConfigError(
                f"MALL_CURRENCY must be an ISO 4217 code such as USD, not {self.CURRENCY!r}."
            )
        if self.DOWNLOAD_ACCEL not in ("", "x-accel-redirect", "x-sendfile"):
            raise ConfigError(
                "MALL_DOWNLOAD_ACCEL must be x-accel-redirect, x-sendfile or empty, "
                f"not {self.DOWNLOAD_ACCEL!r}."
            )


class DevelopmentConfig(Config):
    """The embedded defaults: SQLite, inline jobs, outbox mail, keys in ``instance/``."""

    ENV_NAME = "development"
    DEBUG = True

    def __init__(
        self, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> None:
        super().__init__(environ, instance_path)
        self.INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        self.SECRET_KEY = self.SECRET_KEY or self._instance_secret(
            "secret_key", lambda: secrets.token_urlsafe(48)
        )
        self.MASTER_KEYS = self.MASTER_KEYS or self._instance_secret(
            "master_keys", lambda: "1:" + base64.b64encode(secrets.token_bytes(32)).decode()
        )
        self.SQLALCHEMY_DATABASE_URI = self.SQLALCHEMY_DATABASE_URI or sqlite_url(
            self.INSTANCE_PATH / "mall.db"
        )
        self.MIGRATION_DATABASE_URL = self.MIGRATION_DATABASE_URL or self.SQLALCHEMY_DATABASE_URI
        self.KEYSTORE_URL = self.KEYSTORE_URL or sqlite_url(self.INSTANCE_PATH / "keystore.db")
        self.BASE_DOMAIN = self.BASE_DOMAIN or "localhost"
        self.PUBLIC_URL = self.PUBLIC_URL or "http://127.0.0.1:5000"

    def _instance_secret(self, name: str, make: object) -> str:
        """Read ``instance/<name>``, creating it (and saying so once) when missing."""
        path = self.INSTANCE_PATH / name
        if not path.exists():
            path.write_text(make())  # type: ignore[operator]
            path.chmod(0o600)
            print(
                f"mall: created {path} for development; production reads "
                f"MALL_{name.upper()} from the environment instead.",
                file=sys.stderr,
            )
        return path.read_text().strip()


class TestingConfig(Config):
    """What the test fixtures hand in; never reads the developer's ``instance/``."""

    ENV_NAME = "testing"
    TESTING = True
    JOBS_INLINE_RAISE = True
    KEY_ROTATION_SETTLE_SECONDS = 0
    BCRYPT_ROUNDS = 4
    RATELIMIT_ENABLED = True

    def __init__(
        self, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> None:
        super().__init__(environ, instance_path)
        self.SECRET_KEY = self.SECRET_KEY or "testing-secret-key"
        self.BASE_DOMAIN = self.BASE_DOMAIN or "mall.test"
        self.PUBLIC_URL = self.PUBLIC_URL or "http://mall.test"
        self.MASTER_KEYS = self.MASTER_KEYS or _TESTING_MASTER_KEYS
        self.KEYSTORE_URL = self.KEYSTORE_URL or sqlite_url(self.INSTANCE_PATH / "keystore.db")
        self.MIGRATION_DATABASE_URL = self.MIGRATION_DATABASE_URL or self.SQLALCHEMY_DATABASE_URI


_TESTING_MASTER_KEYS = "1:" + base64.b64encode(secrets.token_bytes(32)).decode()


class ProductionConfig(Config):
    """Refuses to start on any development default, naming the variable to set."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    REQUIRED = {
        "MALL_SECRET_KEY": (
            "SECRET_KEY",
            "a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
        ),
        "MALL_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", "the PostgreSQL URL of the app role"),
        "MALL_REDIS_URL": ("REDIS_URL", "the Redis URL for jobs and rate limits"),
        "MALL_MASTER_KEYS": (
            "MASTER_KEYS",
            "versioned master keys '1:<base64 of 32 random bytes>'; make one with: "
            'python -c "import base64, secrets; '
            "print('1:' + base64.b64encode(secrets.token_bytes(32)).decode())\"",
        ),
        "MALL_KEYSTORE_URL": ("KEYSTORE_URL", "the URL of the key store database"),
        "MALL_BASE_DOMAIN": ("BASE_DOMAIN", "the mall's domain, e.g. mall.example.com"),
        "SMTP_URL": ("SMTP_URL", "the SMTP server, e.g. smtp://user:pass@host:587?tls=starttls"),
        "STRIPE_SECRET_KEY": ("STRIPE_SECRET_KEY", "the Stripe secret key"),
        "STRIPE_WEBHOOK_SECRET": ("STRIPE_WEBHOOK_SECRET", "the Stripe webhook signing secret"),
    }

    def __init__(
        self, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> None:
        super().__init__(environ, instance_path)
        if self.BASE_DOMAIN and not self.PUBLIC_URL:
            self.PUBLIC_URL = f"https://{self.BASE_DOMAIN}"
        if self.BASE_DOMAIN and "." in self.BASE_DOMAIN:
            # One session (cart, sign-in) on the mall's host and every <slug>.<base domain>,
            # which the mall's own DNS serves; custom domains never receive it.
            self.SESSION_COOKIE_DOMAIN = self.BASE_DOMAIN
            self.REMEMBER_COOKIE_DOMAIN = self.BASE_DOMAIN

    def validate(self) -> None:
        """Refuse missing settings and the development defaults (SQLite, localhost)."""
        super().validate()
        for variable, (attribute, hint) in self.REQUIRED.items():
            if not getattr(self, attribute):
                raise ConfigError(
                    f"{variable} is not set: production refuses the development default. "
                    f"Set it to {hint}."
                )
        for variable, url in (
            ("MALL_DATABASE_URL", self.SQLALCHEMY_DATABASE_URI),
            ("MALL_MIGRATION_DATABASE_URL", self.MIGRATION_DATABASE_URL),
        ):
            if url.startswith("sqlite"):
                raise ConfigError(
                    f"{variable} points at SQLite, the development default: production "
                    "needs PostgreSQL (postgresql://…)."
                )
        if self.BASE_DOMAIN in {"localhost", "127.0.0.1"}:
            raise ConfigError(
                "MALL_BASE_DOMAIN is localhost, the development default: set the mall's domain."
            )
        if len(self.SECRET_KEY) < 32:
            raise ConfigError("MALL_SECRET_KEY is too short: use at least 32 random characters.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the settings class named by ``MALL_ENV`` (default: development)."""
    env = os.environ if environ is None else environ
    name = (env.get("MALL_ENV") or "development").lower()
    if name not in CONFIGS:
        raise ConfigError(f"MALL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    config = CONFIGS[name](env)
    config.validate()
    return config


def sqlite_url(path: Path) -> str:
    """An SQLAlchemy URL for an SQLite file."""
    return f"sqlite:///{path}"


def normalise_database_url(url: str | None) -> str | None:
    """Use psycopg 3 for ``postgres://`` and ``postgresql://`` URLs."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
