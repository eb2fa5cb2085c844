"""The demo's after-sale part: a question from the demo customer waiting in Green Thumb's messages,
and the customer on the mall's and Green Thumb's newsletters (so a newsletter the shop sends
reaches someone, with a link to unsubscribe).

Made only when missing: a re-run never subscribes again someone who unsubscribed, and never
repeats the question.
"""

from __future__ import annotations

from mall.accounts.services import find_user_by_email
from mall.crm.messages import start_thread
from mall.demo.money import demo_order, demo_token
from mall.demo.selling import CUSTOMER
from mall.newsletters.models import ConsentSource
from mall.newsletters.services import find_subscription, subscribe
from tenants.context import tenant_context
from tenants.models import Tenant

SHOP = "green-thumb"
# Sealed in the database like every message: the dump test looks for it.
DEMO_QUESTION = "Could the trowel go in the first parcel? My tomatoes are waiting for it."


def seed_after_sale(shops: dict[str, Tenant]) -> list[str]:
    """The demo customer's question about their Green Thumb order and their newsletter
    consents, once. Report lines."""
    shop = shops.get(SHOP)
    customer = find_user_by_email(CUSTOMER)
    story = demo_order("story")
    if shop is None or customer is None or story is None:
        return []
    _subscribe_once(customer.id, mall=True)
    with tenant_context(shop):
        _subscribe_once(customer.id, mall=False)
        start_thread(
            CUSTOMER,
            body=DEMO_QUESTION,
            key=demo_token("crm-question")[:32],  # a message key's length
            order=story,
            user_id=customer.id,
        )
    return [
        f"  a question from {CUSTOMER} about order {story.number} waits in "
        f"/shop/{SHOP}/admin/messages/; they get the mall's and {SHOP}'s newsletters"
    ]


def _subscribe_once(user_id: object, *, mall: bool) -> None:
    if find_subscription(CUSTOMER, mall=mall) is None:
        subscribe(CUSTOMER, source=ConsentSource.ACCOUNT, user_id=user_id, mall=mall)
