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
from mall.shops.models import Membership
from mall.shops.permissions import can
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.models import Tenant

CUSTOMER_SUBJECTS = {
    "received": "{shop} received your message",
    "answered": "{shop} answered your message",
}


@job(queue="mail")
def send_staff_notice(tenant_id: str, thread_id: str) -> None:
    """Tell every member who may see the thread that a customer's message is waiting, with a
    link to it in the back office.

    Unassigned, that is everyone who answers messages (staff and sales reps too: the thread
    is theirs to take); assigned, the assignee alone (a manager who assigned it has handed
    it over), or, when the assignee has left the team, the members who see every thread.
    """
    from mall.crm.messages import Viewer, get_thread, may_see

    shop = db.session.get(Tenant, UUID(str(tenant_id)))
    if shop is None:
        return
    with tenant_context(shop):
        thread = get_thread(thread_id)
        if thread is None:
            return
        rows = db.session.execute(
            sa.select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == shop.id)
            .order_by(Membership.created_at)
        ).all()
        recipients = [
            user
            for membership, user in rows
            if can(membership.role, "messages.answer")
            and may_see(thread, viewer=Viewer.of(membership))
        ]
        assignee = [user for user in recipients if user.id == thread.assignee_id]
        recipients = assignee or recipients
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
