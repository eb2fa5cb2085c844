"""Message notices, sent by jobs that receive ids only.

A notice says that a message is waiting and links to it; the message itself
stays sealed in the database and is never copied into an email. Each job
opens the thread in its shop's context and reads the sealed addresses there.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.extensions import db
from mall.jobs import job
from mall.mail import deliver, render_message
from mall.shops.models import Membership, Role
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant

CUSTOMER_SUBJECTS = {
    "received": "{shop} received your message",
    "answered": "{shop} answered your message",
}


@job(queue="mail")
def send_staff_notice(tenant_id: str, thread_id: str) -> None:
    """Tell the thread's assignee (unassigned: the shop's owners and managers) that a
    customer's message is waiting, with a link to the thread in the back office."""
    from mall.crm.messages import get_thread

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        thread = get_thread(thread_id)
        if thread is None:
            return
        members = sa.select(User).join(Membership, Membership.user_id == User.id)
        members = members.where(Membership.tenant_id == shop.id)
        recipients = []
        if thread.assignee_id is not None:
            recipients = db.session.scalars(members.where(User.id == thread.assignee_id)).all()
        if not recipients:
            recipients = db.session.scalars(
                members.where(Membership.role.in_((Role.OWNER, Role.MANAGER))).order_by(
                    Membership.created_at
                )
            ).all()
        url = external_url("messages_admin.thread", shop=shop.slug, thread_id=thread.id)
        subject = f"A customer's message is waiting at {shop.name}"
        messages = [
            render_message(
                "crm/email/staff_notice",
                to=user.email,
                subject=subject,
                shop_name=shop.name,
                thread_url=url,
                mall_name=current_app.config["MALL_NAME"],
            )
            for user in recipients
        ]
    for message in messages:
        deliver(message)


@job(queue="mail")
def send_customer_notice(tenant_id: str, thread_id: str, kind: str) -> None:
    """Tell the customer that the shop received their message (``received``) or answered it
    (``answered``), with the signed link to the thread."""
    from mall.crm.messages import get_thread, thread_customer
    from mall.crm.tokens import thread_link

    if kind not in CUSTOMER_SUBJECTS:
        return
    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        thread = get_thread(thread_id)
        if thread is None:
            return
        customer = thread_customer(thread)
        message = render_message(
            f"crm/email/{kind}",
            to=customer.email,  # opened here, at send time: never in the job's arguments
            subject=CUSTOMER_SUBJECTS[kind].format(shop=shop.name),
            shop_name=shop.name,
            thread_url=thread_link(thread),
            mall_name=current_app.config["MALL_NAME"],
        )
    deliver(message)
