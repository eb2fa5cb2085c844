"""The demo's after-sale part (``mall.demo.after_sale``): a question from the demo customer waits
in Green Thumb's messages, and the customer gets the mall's and the shop's newsletters; once, and
a re-run never subscribes again someone who unsubscribed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.crm.messages import thread_messages
from mall.crm.models import CrmMessage, CrmThread, ThreadStatus
from mall.demo.after_sale import DEMO_QUESTION, SHOP
from mall.demo.money import demo_order
from mall.demo.people import seed_demo
from mall.demo.selling import CUSTOMER
from mall.extensions import db
from mall.newsletters.services import find_subscription, unsubscribe
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant


@pytest.fixture
def seeded(app_ctx):
    report = seed_demo()
    db.session.commit()
    return report


def green_thumb() -> Tenant:
    return db.session.scalars(sa.select(Tenant).where(Tenant.slug == SHOP)).one()


def message_count() -> int:
    with all_tenants("test: count the demo's messages"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(CrmMessage))


def test_the_demo_customers_question_waits_for_the_shop(seeded):
    with tenant_context(green_thumb()):
        (thread,) = db.session.scalars(sa.select(CrmThread)).all()
        assert thread.status == ThreadStatus.OPEN
        assert thread.order_id == demo_order("story").id
        assert [m.body for m in thread_messages(thread)] == [DEMO_QUESTION]
    assert any("/shop/green-thumb/admin/messages/" in line for line in seeded)


def test_the_demo_customer_gets_the_malls_and_the_shops_newsletters(seeded):
    assert find_subscription(CUSTOMER, mall=True).subscribed
    with tenant_context(green_thumb()):
        assert find_subscription(CUSTOMER).subscribed


def test_a_rerun_repeats_nothing_and_keeps_an_unsubscribe(seeded):
    with tenant_context(green_thumb()):
        unsubscribe(find_subscription(CUSTOMER))
    db.session.commit()
    before = message_count()
    seed_demo()
    db.session.commit()
    assert message_count() == before == 1
    with tenant_context(green_thumb()):
        assert not find_subscription(CUSTOMER).subscribed
