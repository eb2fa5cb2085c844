"""CRM: the shop's customers and messages (back office), the customers' contact pages."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

# Signed links only: the thread's token (``tests/mall/test_crm_messages.py``) and the order's
# tracking token; a tampered one, or one of another shop on a shop's host, answers 404.
MALL_ROUTES = {"crm.thread", "crm.order_contact"}

SHOP_ROUTES = {
    "crm_shop.contact",
    "customers_admin.customers",
    "customers_admin.find_customer",
    "customers_admin.customers_csv",
    "customers_admin.customer",
    "customers_admin.save_notes",
    "messages_admin.threads",
    "messages_admin.thread",
    "messages_admin.reply",
    "messages_admin.set_status",
    "messages_admin.assign",
}


def make_thread(shop):
    """A conversation of ``shop`` with a customer (committed); its id."""
    from mall.crm.messages import start_thread
    from tenants.context import tenant_context

    with tenant_context(shop):
        thread, _ = start_thread(
            "dora@example.com", body="Do you ship to Oslo?", key=uuid4().hex, name="Dora Doe"
        )
        db.session.commit()
        return thread.id


def make_customer(shop):
    """A customer of ``shop`` (committed); their id."""
    from mall.crm.customers import find_or_add_customer
    from tenants.context import tenant_context

    with tenant_context(shop):
        customer = find_or_add_customer("erin@example.com", name="Erin Example")
        db.session.commit()
        return customer.id


OBJECT_IDS = {"thread_id": make_thread, "customer_id": make_customer}
