"""Who on the shop's side hears of a customer's message: every member who may see the thread
(unassigned: everyone who answers messages; assigned: the assignee alone, or those who see
every thread when the assignee has left), one email each, saying only that a message waits."""

from __future__ import annotations

from uuid import uuid4

import pytest

from mall.crm.messages import customer_reply, get_thread
from mall.crm.models import CrmThread
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tests.mall.test_crm_messages import member, thread_of
from tests.support.mail import clear_outbox, link_in, sent_to, text_of

BODY = "My parcel never came; my number is 555-0123"


@pytest.fixture
def team(app_ctx, shop_a, make_user):
    clear_outbox(app_ctx)
    return {
        role: member(shop_a, make_user, role, f"{role.value.replace('_', '')}@example.com")
        for role in (Role.OWNER, Role.MANAGER, Role.STAFF, Role.SALES_REP)
    }


def notified(app, team) -> set[Role]:
    return {role for role, user in team.items() if sent_to(app, user.email)}


def test_a_new_unassigned_thread_tells_every_member_who_can_see_it(app_ctx, shop_a, team):
    thread = thread_of(shop_a, body=BODY)
    assert notified(app_ctx, team) == set(Role)
    for user in team.values():
        (notice,) = sent_to(app_ctx, user.email)
        assert link_in(notice, "/admin/messages/") == f"/shop/shop-a/admin/messages/{thread.id}"
        shown = f"{notice['Subject']}\n{text_of(notice)}"
        assert "waiting" in shown
        for secret in ("555-0123", "parcel", "dora@example.com", "Dora"):
            assert secret not in shown


def test_a_message_on_an_assigned_thread_tells_the_assignee_alone(app_ctx, shop_a, team):
    made = thread_of(shop_a)
    with tenant_context(shop_a):
        db.session.get(CrmThread, (shop_a.id, made.id)).assignee_id = team[Role.SALES_REP].id
        db.session.commit()
    clear_outbox(app_ctx)
    with tenant_context(shop_a):
        assert customer_reply(get_thread(made.id), body=BODY, key=uuid4().hex)
        db.session.commit()
    # Handed over: the owner and the manager see the thread but are not told of each message.
    assert notified(app_ctx, team) == {Role.SALES_REP}


def test_an_assignee_who_left_the_shop_is_not_told(app_ctx, shop_a, team):
    made = thread_of(shop_a)
    leaver = team[Role.STAFF]
    with tenant_context(shop_a):
        db.session.get(CrmThread, (shop_a.id, made.id)).assignee_id = leaver.id
        db.session.query(Membership).filter_by(user_id=leaver.id, tenant_id=shop_a.id).delete()
        db.session.commit()
    clear_outbox(app_ctx)
    with tenant_context(shop_a):
        assert customer_reply(get_thread(made.id), body=BODY, key=uuid4().hex)
        db.session.commit()
    assert notified(app_ctx, team) == {Role.OWNER, Role.MANAGER}


def test_another_shops_members_hear_nothing(app_ctx, shop_a, shop_b, team, make_user):
    outsider = member(shop_b, make_user, Role.SALES_REP, "outsider@example.com")
    thread_of(shop_a)
    assert not sent_to(app_ctx, outsider.email)
