"""Affiliate applications through the services: applying (validated, sealed, once), the
operator's decisions (each once, audited, emailed), codes (generated, chosen, unique,
any case), payout details, and the affiliate's part of an account's export and deletion."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from affiliates.applications import jobs, services
from affiliates.applications.services import InvalidApplication
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus, PayoutMethod
from mall.accounts.erasure import erase_account
from mall.accounts.export_contents import personal_data
from mall.extensions import db
from tenants.models import AuditEvent
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mail import clear_outbox, sent_to, text_of

ANSWERS = {
    "website": "https://blog.example.org/gardening",
    "promotion": "A weekly newsletter to 4,000 gardeners.",
    "payout_method": "paypal",
    "payout_email": "pay.me@example.net",
}


def apply(user, **changes):
    row = services.apply(user, **{**ANSWERS, **changes})
    db.session.commit()
    return row


def approved(user, code=None, *, operator_id=None):
    row = apply(user)
    assert services.approve(row, actor_id=operator_id, code=code)
    db.session.commit()
    return row


def audit_actions(affiliate) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.target_type == "affiliate", AuditEvent.target_id == str(affiliate.id))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


def test_an_application_is_sealed_and_made_once(app_ctx, make_user):
    ada = make_user("ada@example.com")
    row = apply(ada)
    again = apply(ada, website="https://other.example.com")  # a double click
    assert again.id == row.id and row.status is AffiliateStatus.APPLIED and row.code is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Affiliate)) == 1
    db.session.expire_all()
    assert row.website == ANSWERS["website"] and row.promotion == ANSWERS["promotion"]
    assert row.payout_email == ANSWERS["payout_email"] and row.payout_method is PayoutMethod.PAYPAL
    stored = db.session.execute(
        sa.text("SELECT website, promotion, payout_email FROM affiliates")
    ).one()
    for column in stored:
        assert b"example" not in bytes(column)
    assert services.get_affiliate_of(ada).id == row.id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"website": ""}, "website"),
        ({"website": "ftp://files.example.com"}, "website"),
        ({"website": "example.com"}, "website"),
        ({"website": "https://localhost"}, "website"),
        ({"website": "https://exa mple.com"}, "website"),
        ({"website": "https://example.com/\x00"}, "website"),
        ({"website": "https://example.com/" + "a" * 300}, "website"),
        ({"promotion": "   "}, "promotion"),
        ({"promotion": "x" * 2001}, "promotion"),
        ({"payout_method": "cash"}, "payout_method"),
        ({"payout_email": "not-an-email"}, "payout_email"),
        ({"payout_email": ""}, "payout_email"),
        ({"recruited_by_code": "NOBODY-1"}, "recruited_by_code"),
    ],
)
def test_bad_answers_are_refused_with_their_field(app_ctx, make_user, change, field):
    with pytest.raises(InvalidApplication) as refused:
        services.apply(make_user(), **{**ANSWERS, **change})
    assert refused.value.field == field and str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Affiliate)) == 0


def test_the_recruiter_is_found_by_code_in_any_case_and_must_be_approved(app_ctx, make_user):
    recruiter = approved(make_user(), code="green-fingers")
    assert recruiter.code == "GREEN-FINGERS"
    assert services.find_by_code(" green-Fingers ").id == recruiter.id
    assert services.find_by_code("green") is None and services.find_by_code(None) is None
    recruited = apply(make_user(), recruited_by_code="Green-Fingers")
    assert recruited.recruited_by_id == recruiter.id

    waiting = apply(make_user())
    assert services.approve(waiting, actor_id=None, code="WAITING-1")
    assert services.suspend(waiting, actor_id=None)
    db.session.commit()
    with pytest.raises(InvalidApplication, match="No affiliate"):
        services.apply(make_user(), **ANSWERS, recruited_by_code="WAITING-1")


def test_approval_gives_a_generated_code_once_audited_and_emailed(
    app, app_ctx, make_user, operator
):
    clear_outbox(app)
    bea = make_user("bea@example.com", name="Bea")
    row = approved(bea, operator_id=operator.id)
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}", row.code)
    assert row.status is AffiliateStatus.APPROVED and row.decided_by_id == operator.id
    assert services.approve(row, actor_id=operator.id) is False  # a double click
    assert services.approve(row, actor_id=operator.id, code="ANOTHER") is False
    db.session.commit()
    assert audit_actions(row) == ["affiliate.approved"]
    [message] = sent_to(app, "bea@example.com")
    body = text_of(message)
    assert row.code in body and f"/r/{row.code}" in body and "/affiliates/home" in body
    assert ANSWERS["payout_email"] not in body and ANSWERS["website"] not in body


def test_a_chosen_code_is_checked_and_unique(app_ctx, make_user):
    approved(make_user(), code="SUMMER-10")
    row = apply(make_user())
    for bad in ("abc", "with space", "x" * 33, "ÜBER1", "CODE\x00"):
        with pytest.raises(AffiliateError, match="4 to 32"):
            services.approve(row, actor_id=None, code=bad)
    with pytest.raises(AffiliateError, match="belongs to another affiliate"):
        services.approve(row, actor_id=None, code="summer-10")
    db.session.rollback()
    assert services.get_affiliate(row.id).status is AffiliateStatus.APPLIED


def test_a_generated_code_that_is_taken_is_drawn_again(app_ctx, make_user, monkeypatch):
    approved(make_user(), code="TAKEN234")
    draws = iter(["TAKEN234", "FRESH234"])
    monkeypatch.setattr(services, "new_code", lambda: next(draws))
    row = apply(make_user())
    assert services.approve(row, actor_id=None)
    assert row.code == "FRESH234"


def test_rejection_needs_a_note_that_the_applicant_reads_and_may_apply_again(
    app, app_ctx, make_user
):
    clear_outbox(app)
    cy = make_user("cy@example.com")
    row = apply(cy)
    with pytest.raises(AffiliateError, match="Write a note"):
        services.reject(row, actor_id=None, note="  ")
    assert services.reject(row, actor_id=None, note="Your site has no content yet.")
    assert services.reject(row, actor_id=None, note="Again") is False
    db.session.commit()
    [message] = sent_to(app, "cy@example.com")
    assert "Your site has no content yet." in text_of(message)
    # A note about a person: stored sealed, read through the field.
    stored = db.session.scalar(
        sa.select(Affiliate.__table__.c.decision_note).where(Affiliate.id == row.id)
    )
    assert b"no content" not in bytes(stored)
    assert row.decision_note == "Your site has no content yet."
    with pytest.raises(AffiliateError, match="only a waiting application can be approved"):
        services.approve(row, actor_id=None)

    again = apply(cy, website="https://cy.example.com/now-with-posts")
    assert again.id == row.id and again.status is AffiliateStatus.APPLIED
    assert again.website == "https://cy.example.com/now-with-posts"
    assert services.approve(again, actor_id=None)
    db.session.commit()
    with pytest.raises(AffiliateError, match="already in the affiliate program"):
        services.apply(cy, **ANSWERS)
    assert audit_actions(row) == ["affiliate.rejected", "affiliate.approved"]


def test_suspend_and_reinstate_each_happen_once(app, app_ctx, make_user):
    clear_outbox(app)
    dee = make_user("dee@example.com")
    row = approved(dee)
    code = row.code
    assert services.suspend(row, actor_id=None, note="Spam in comments.")
    assert services.suspend(row, actor_id=None) is False
    assert row.status is AffiliateStatus.SUSPENDED and not row.earns
    db.session.commit()
    assert services.reinstate(row, actor_id=None)
    assert services.reinstate(row, actor_id=None) is False
    db.session.commit()
    assert row.code == code and row.earns
    assert audit_actions(row) == [
        "affiliate.approved",
        "affiliate.suspended",
        "affiliate.reinstated",
    ]
    subjects = [message["Subject"] for message in sent_to(app, "dee@example.com")]
    assert len(subjects) == 3 and "suspended" in subjects[1] and "active again" in subjects[2]
    waiting = apply(make_user())
    with pytest.raises(AffiliateError, match="only an approved affiliate"):
        services.suspend(waiting, actor_id=None)
    with pytest.raises(AffiliateError, match="only a suspended affiliate"):
        services.reinstate(waiting, actor_id=None)


def test_an_email_whose_decision_was_undone_is_not_sent(app, app_ctx, make_user):
    row = approved(make_user("eve@example.com"))
    assert services.suspend(row, actor_id=None)
    db.session.commit()
    clear_outbox(app)
    assert jobs.send_decision_email(str(row.id), "approve") is False
    assert jobs.send_decision_email(str(row.id), "nonsense") is False
    assert sent_to(app, "eve@example.com") == []


def test_payout_details_change_audited_and_unchanged_twice(app_ctx, make_user):
    row = approved(make_user())
    assert services.update_payout(row, payout_method="stripe", payout_email="New@Example.com")
    assert (
        services.update_payout(row, payout_method="stripe", payout_email="New@Example.com") is False
    )
    db.session.commit()
    db.session.expire_all()
    assert row.payout_method is PayoutMethod.STRIPE and row.payout_email == "New@example.com"
    assert audit_actions(row) == ["affiliate.approved", "affiliate.payout_changed"]
    with pytest.raises(InvalidApplication):
        services.update_payout(row, payout_method="paypal", payout_email="nope")


def test_the_operator_list_filters_by_status_and_code(app_ctx, make_user):
    waiting = apply(make_user())
    green = approved(make_user(), code="GREEN-1")
    approved(make_user(), code="BLUE-1")
    assert [row.id for row in services.affiliate_list().items] == [waiting.id]
    assert {row.code for row in services.affiliate_list(status="approved").items} == {
        "GREEN-1",
        "BLUE-1",
    }
    assert [row.id for row in services.affiliate_list(status="all", code="gre").items] == [green.id]
    assert services.affiliate_list(status="all", code="%").items == []
    assert services.affiliate_list(status="all").total == 3


def test_the_export_holds_the_persons_own_affiliate_record(app_ctx, make_user):
    recruiter = approved(make_user(), code="RECRUITER")
    fay = make_user("fay@example.com")
    row = approved(fay, code="FAY-2026")
    row.recruited_by_id = recruiter.id
    db.session.commit()
    exported = personal_data(fay)["affiliate"]
    assert exported["code"] == "FAY-2026" and exported["status"] == "approved"
    assert exported["website"] == ANSWERS["website"]
    assert exported["payout_email"] == ANSWERS["payout_email"]
    assert exported["how_you_promote"] == ANSWERS["promotion"]
    assert exported["recruited_by_code"] == "RECRUITER"
    assert exported["link"].endswith("/r/FAY-2026")
    assert personal_data(make_user())["affiliate"] is None


def test_deleting_the_account_keeps_the_row_without_personal_data(app_ctx, make_user):
    gus = make_user("gus@example.com")
    row = approved(gus, code="GUS-1")
    other = approved(make_user(), code="OTHER-1")
    erase_account(gus, password=DEFAULT_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    kept = services.get_affiliate(row.id)
    assert kept is not None and kept.user_id is None and kept.code == "GUS-1"
    assert kept.website_ct is None and kept.promotion_ct is None and kept.payout_email_ct is None
    assert kept.status is AffiliateStatus.SUSPENDED and not kept.earns
    untouched = services.get_affiliate(other.id)
    assert untouched.user_id is not None and untouched.website == ANSWERS["website"]
    assert untouched.status is AffiliateStatus.APPROVED
    # Nobody is left to pay: the code can never earn again.
    with pytest.raises(AffiliateError, match="account was deleted"):
        services.reinstate(kept, actor_id=None)
    assert services.get_affiliate(row.id).status is AffiliateStatus.SUSPENDED
