"""The tenancy core's shared pieces: the audit log's writer and actor, platform settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import login_user

from mall.extensions import db
from tenants.audit import record_audit, request_actor
from tenants.models import AuditEvent
from tenants.settings import get_setting, put_setting


def test_a_setting_never_set_reads_as_the_default(app_ctx):
    assert get_setting("nobody.set.this", 42) == 42
    assert get_setting("nobody.set.this") is None


def test_put_setting_inserts_then_replaces(app_ctx):
    put_setting("demo.flag", True)
    put_setting("demo.flag", {"days": 7})
    db.session.expire_all()
    assert get_setting("demo.flag") == {"days": 7}


def test_the_actor_outside_a_request_is_nobody(app_ctx):
    assert request_actor() == {"actor_id": None, "ip_address": None}


def test_the_actor_of_a_request_is_the_signed_in_user_and_their_ip(app, make_user):
    user = make_user("actor@example.com")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        assert request_actor() == {"actor_id": None, "ip_address": "203.0.113.9"}
        login_user(user)
        assert request_actor() == {"actor_id": user.id, "ip_address": "203.0.113.9"}


def test_record_audit_seals_the_ip_and_keeps_the_facts(app_ctx, make_user):
    user = make_user("auditor@example.com")
    event = record_audit(
        "demo.done", actor_id=user.id, target_type="demo", target_id=7, ip_address="198.51.100.4"
    )
    stored = db.session.execute(
        sa.select(AuditEvent.__table__.c.ip_address).where(AuditEvent.id == event.id)
    ).scalar_one()
    assert b"198.51.100.4" not in stored
    assert (event.target_id, event.ip_address, event.details) == ("7", "198.51.100.4", {})
