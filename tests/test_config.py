"""Settings come from the environment; production refuses development defaults."""

from __future__ import annotations

import pytest

from config import Config, ConfigError, DevelopmentConfig, ProductionConfig, load_config
from mall import create_app

PRODUCTION = {
    "MALL_ENV": "production",
    "MALL_SECRET_KEY": "s" * 48,
    "MALL_DATABASE_URL": "postgresql://mall_app@db.internal/mall",
    "MALL_MIGRATION_DATABASE_URL": "postgresql://mall_owner@db.internal/mall",
    "MALL_REDIS_URL": "redis://cache.internal:6379/0",
    "MALL_MASTER_KEYS": "1:" + "A" * 43 + "=",
    "MALL_KEYSTORE_URL": "postgresql://mall_keys@keys.internal/keystore",
    "MALL_BASE_DOMAIN": "mall.example.com",
    "SMTP_URL": "smtp://mailer:secret@smtp.example.com:587?tls=starttls",
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def test_production_accepts_a_complete_environment(tmp_path):
    config = load_config(PRODUCTION)
    assert isinstance(config, ProductionConfig)
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("variable", sorted(ProductionConfig.REQUIRED))
def test_production_refuses_a_missing_variable_and_names_it(variable):
    environ = {k: v for k, v in PRODUCTION.items() if k != variable}
    with pytest.raises(ConfigError, match=variable):
        load_config(environ)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MALL_DATABASE_URL", "sqlite:///instance/mall.db"),
        ("MALL_MIGRATION_DATABASE_URL", "sqlite:///instance/mall.db"),
        ("MALL_BASE_DOMAIN", "localhost"),
        ("MALL_SECRET_KEY", "short"),
        ("MALL_CURRENCY", "dollars"),
    ],
)
def test_production_refuses_development_defaults(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_config({**PRODUCTION, variable: value})


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="MALL_ENV"):
        load_config({"MALL_ENV": "staging-ish"})


def test_development_creates_what_it_lacks_and_says_so_once(tmp_path, capsys):
    first = DevelopmentConfig({}, instance_path=tmp_path)
    said = capsys.readouterr().err
    assert "secret_key" in said and "master_keys" in said
    second = DevelopmentConfig({}, instance_path=tmp_path)
    assert capsys.readouterr().err == ""
    assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) >= 32
    assert first.MASTER_KEYS == second.MASTER_KEYS and first.MASTER_KEYS.startswith("1:")
    assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'mall.db'}"
    assert first.KEYSTORE_URL == f"sqlite:///{tmp_path / 'keystore.db'}"
    assert first.REDIS_URL is None
    assert first.CURRENCY == "USD"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_development_takes_the_environment_first(tmp_path):
    config = DevelopmentConfig(
        {"MALL_SECRET_KEY": "from-env", "MALL_CURRENCY": "eur", "MALL_REDIS_URL": "redis://x"},
        instance_path=tmp_path,
    )
    assert config.SECRET_KEY == "from-env"
    assert config.CURRENCY == "EUR"
    assert config.REDIS_URL == "redis://x"
    assert config.RATELIMIT_STORAGE_URI == "redis://x"


@pytest.mark.parametrize("value", ["abc", "-5", "10.5", "²", "29"])
def test_a_bad_whole_number_setting_names_the_variable(value):
    with pytest.raises(ConfigError, match="MALL_CHECKOUT_HOLD_MINUTES"):
        Config({"MALL_CHECKOUT_HOLD_MINUTES": value})


def test_holds_and_idle_times_have_defaults_and_read_the_environment():
    config = Config({"MALL_CHECKOUT_HOLD_MINUTES": "45", "MALL_CART_IDLE_DAYS": "10"})
    assert (config.CHECKOUT_HOLD_MINUTES, config.CART_IDLE_DAYS) == (45, 10)
    assert (Config({}).MANUAL_PAYMENT_HOLD_DAYS, Config({}).OFFLINE_CARD_DEADLINE_HOURS) == (7, 72)


def test_downloads_are_served_by_mall_unless_a_web_server_is_named():
    assert Config({}).DOWNLOAD_ACCEL == ""
    found = Config({"MALL_DOWNLOAD_ACCEL": "X-Accel-Redirect", "MALL_DOWNLOAD_LINK_TTL": "600"})
    assert found.DOWNLOAD_ACCEL == "x-accel-redirect" and found.DOWNLOAD_LINK_TTL == 600
    with pytest.raises(ConfigError, match="MALL_DOWNLOAD_ACCEL must be x-accel-redirect"):
        Config({"MALL_DOWNLOAD_ACCEL": "apache"}).validate()
