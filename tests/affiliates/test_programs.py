"""The mall program's settings: defaults, one query, validation, the audit log, the console page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from affiliates.errors import AffiliateError
from affiliates.models import RateKind
from affiliates.programs.settings import (
    Attribution,
    ProgramSettings,
    program_settings,
    save_program_settings,
)
from mall.extensions import db
from tenants.models import AuditEvent
from tenants.settings import put_setting

PAGE = "/admin/affiliates/settings"

# What the console form sends for the defaults.
FORM = {
    "rate_kind": "percent",
    "rate_value": "5",
    "cookie_days": "30",
    "attribution": "last",
    "holding_days": "30",
    "min_payout": "50.00",
    "tier2_percent": "10",
    "review_above": "500.00",
    "burst_clicks": "10",
    "burst_minutes": "60",
}


def audit_events(action: str = "affiliates.settings_updated") -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.created_at)
        )
    )


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def as_operator(client, operator, sign_in, no_csrf):
    sign_in(operator)
    return client


# ---------------------------------------------------------------- reading


def test_a_mall_that_never_set_anything_has_the_defaults(app_ctx):
    settings = program_settings()
    assert settings == ProgramSettings()
    assert (settings.rate_kind, settings.rate_bp) == (RateKind.PERCENT, 500)
    assert settings.cookie_days == 30
    assert settings.attribution is Attribution.LAST
    assert settings.holding_days == 30
    assert settings.min_payout == 5000
    assert settings.tier2_enabled is False
    assert (settings.burst_clicks, settings.burst_minutes) == (10, 60)
    assert settings.rate_text == "5%"


def test_the_settings_are_read_in_one_query(app_ctx, count_queries):
    put_setting("affiliates.cookie_days", 45)
    with count_queries() as queries:
        settings = program_settings()
    assert queries.count == 1
    assert settings.cookie_days == 45


def test_a_stored_value_that_is_not_valid_reads_as_the_default(app_ctx):
    put_setting("affiliates.rate_bp", 20_000)
    put_setting("affiliates.cookie_days", "forty")
    put_setting("affiliates.attribution", "random")
    put_setting("affiliates.tier2_enabled", 1)
    settings = program_settings()
    assert settings.rate_bp == 500
    assert settings.cookie_days == 30
    assert settings.attribution is Attribution.LAST
    assert settings.tier2_enabled is False


def test_the_holding_period_is_never_below_the_ledgers_hold(app_ctx, operator):
    put_setting("ledger.holding_days", 45)
    assert program_settings().holding_days == 45  # the stored default 30 is lifted
    with pytest.raises(AffiliateError, match="at least 45 days"):
        save_program_settings({"holding_days": 40}, actor_id=operator.id)
    assert save_program_settings({"holding_days": 60}, actor_id=operator.id)
    assert program_settings().holding_days == 60


# ---------------------------------------------------------------- saving


def test_saving_changes_only_what_is_named_and_is_audited(app_ctx, operator):
    changed = save_program_settings(
        {"rate_bp": 750, "attribution": "first", "tier2_enabled": True}, actor_id=operator.id
    )
    db.session.commit()
    assert changed is True
    settings = program_settings()
    assert (settings.rate_bp, settings.attribution, settings.tier2_enabled) == (
        750,
        Attribution.FIRST,
        True,
    )
    assert settings.cookie_days == 30
    [event] = audit_events()
    assert event.actor_id == operator.id
    assert event.details["changed"] == {
        "rate_bp": ["5%", "7.5%"],
        "attribution": ["last", "first"],
        "tier2_enabled": [False, True],
    }


def test_saving_what_is_already_so_changes_nothing(app_ctx, operator):
    assert save_program_settings({"cookie_days": 30, "rate_bp": 500}, actor_id=operator.id) is False
    assert save_program_settings({"cookie_days": 60}, actor_id=operator.id) is True
    assert save_program_settings({"cookie_days": 60}, actor_id=operator.id) is False
    assert len(audit_events()) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rate_bp": -1}, "between 0 and 100"),
        ({"rate_bp": 10_001}, "between 0 and 100"),
        ({"rate_bp": True}, "between 0 and 100"),
        ({"rate_kind": "lots"}, "percentage or a fixed amount"),
        ({"rate_kind": "fixed", "rate_fixed": 0}, "fixed amount"),
        ({"rate_fixed": -5}, "zero or more"),
        ({"rate_fixed": 10**18}, "at most"),
        ({"cookie_days": 0}, "1 to 365 days"),
        ({"cookie_days": 10**12}, "1 to 365 days"),
        ({"attribution": "middle"}, "first or the last"),
        ({"holding_days": -1}, "at most 365"),
        ({"min_payout": 0}, "above zero"),
        ({"tier2_bp": 10_001}, "between 0 and 100"),
        ({"tier2_enabled": "yes"}, "second tier"),
        ({"review_above": -1}, "zero or more"),
        ({"burst_clicks": 0}, "1 to 10,000"),
        ({"burst_minutes": 1441}, "1 to 1,440"),
        ({"colour": "blue"}, "Unknown setting: colour"),
    ],
)
def test_a_value_out_of_range_is_refused_with_its_reason(app_ctx, operator, values, message):
    with pytest.raises(AffiliateError, match=message):
        save_program_settings(values, actor_id=operator.id)
    assert audit_events() == []
    assert program_settings() == ProgramSettings()


def test_a_fixed_mall_rate(app_ctx, operator):
    save_program_settings({"rate_kind": "fixed", "rate_fixed": 250}, actor_id=operator.id)
    settings = program_settings()
    assert (settings.rate_kind, settings.rate_fixed) == (RateKind.FIXED, 250)
    assert settings.rate_text == "$2.50 per item"


# ---------------------------------------------------------------- the console page


def test_the_operator_sets_the_mall_rate_in_the_console(as_operator, app_ctx):
    page = as_operator.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Affiliate program" in html
    assert 'value="5"' in html  # the mall rate as it is now
    response = as_operator.post(PAGE, data={**FORM, "rate_value": "7.5", "tier2_enabled": "y"})
    assert response.status_code == 303
    followed = as_operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Affiliate program saved" in followed
    assert "the mall rate is <strong>7.5%</strong>" in followed
    assert program_settings().tier2_enabled is True
    again = as_operator.post(PAGE, data={**FORM, "rate_value": "7.5", "tier2_enabled": "y"})
    assert "nothing changed" in as_operator.get(again.headers["Location"]).get_data(as_text=True)
    assert len(audit_events()) == 1


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("rate_value", "-5", "between 0 and 100"),
        ("rate_value", "150", "between 0 and 100"),
        ("rate_value", "5\x00", "control character"),  # refused for the whole app
        ("rate_value", "five", "as a number"),
        ("cookie_days", "99999999999999999999999", "from 1 to 365"),
        ("cookie_days", "thirty", "whole number"),
        ("min_payout", "-1", "zero or more"),
        ("min_payout", "99999999999999", "at most"),
        ("burst_minutes", "0", "from 1 to 1,440"),
        ("attribution", "sideways", "first or the last"),
    ],
)
def test_bad_input_shows_what_was_typed_and_why(as_operator, app_ctx, field, typed, message):
    response = as_operator.post(PAGE, data={**FORM, field: typed})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert program_settings() == ProgramSettings()


def test_a_holding_period_below_the_ledgers_is_refused_on_the_page(as_operator, app_ctx):
    put_setting("ledger.holding_days", 14)
    db.session.commit()
    response = as_operator.post(PAGE, data={**FORM, "holding_days": "7"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at least 14 days" in html
    assert 'value="7"' in html  # what was typed stays
    assert program_settings().holding_days == 30


def test_only_operators_open_the_program_settings(client, make_user, sign_in, no_csrf, app_ctx):
    assert client.get(PAGE).status_code == 302  # anonymous: sign in
    sign_in(make_user("someone@example.com"))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={**FORM, "rate_value": "90"}).status_code == 403
    assert program_settings().rate_bp == 500


def test_the_console_navigation_links_to_the_program(as_operator, app_ctx):
    html = as_operator.get("/admin/").get_data(as_text=True)
    assert f'href="{PAGE}"' in html
