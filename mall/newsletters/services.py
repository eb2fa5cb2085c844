"""Newsletter subscriptions (opt-in, opt-out, the account's preferences) and newsletters.

Two audiences: a shop's (rows in the shop's tenant context, the caller enters it)
and the mall's (platform rows; ``shop=None``). Consent is only ever given by a
person's own action (a box they ticked at checkout, the preferences page): nothing
here subscribes anyone by default. Unsubscribing keeps the row, marked, so the
opt-out is remembered; both directions are safe to repeat.

Sending is in ``mall.newsletters.sending`` (batches, one marker per recipient).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.newsletters import jobs
from mall.newsletters.errors import NewsletterError
from mall.newsletters.models import (
    BODY_MAX,
    SUBJECT_MAX,
    ConsentSource,
    MallNewsletter,
    MallSubscription,
    Newsletter,
    NewsletterStatus,
    Subscription,
    SubscriptionStatus,
)
from mall.orders.models import Order
from tenants.context import all_tenants, current_tenant_id, tenant_context
from tenants.guard import scoped_get
from tenants.keys import PLATFORM, KeyDestroyed, tenant_scope
from tenants.models import Tenant, TenantStatus

AnySubscription = Subscription | MallSubscription
AnyNewsletter = Newsletter | MallNewsletter
MAX_SHOPS_LISTED = 50


# ---------------------------------------------------------------- subscriptions


def get_subscription(subscription_id: UUID | str | None) -> Subscription | None:
    """A subscription of the shop in context by id (another shop's: None)."""
    return scoped_get(Subscription, subscription_id)


def get_mall_subscription(subscription_id: UUID | str | None) -> MallSubscription | None:
    """A subscription to the mall's newsletter by id."""
    try:
        return db.session.get(MallSubscription, UUID(str(subscription_id)))
    except ValueError:
        return None


def find_subscription(email: str, *, mall: bool = False) -> AnySubscription | None:
    """The subscription of ``email`` to the shop in context (``mall``: the mall's), if any."""
    if mall:
        index = MallSubscription.email.lookup(email, scope=PLATFORM)
        return db.session.scalar(
            sa.select(MallSubscription).where(MallSubscription.email_index == index)
        )
    tenant_id = current_tenant_id()
    index = Subscription.email.lookup(email, scope=tenant_scope(tenant_id))
    return db.session.scalar(sa.select(Subscription).where(Subscription.email_index == index))


def subscribe(
    email: str, *, source: ConsentSource, user_id: UUID | None = None, mall: bool = False
) -> AnySubscription:
    """Record ``email``'s consent to the shop in context's newsletter (``mall``: the mall's).

    Consent time and source are recorded; subscribing again changes nothing but a
    missing account link, and subscribing after an opt-out records the new consent.
    """
    row = find_subscription(email, mall=mall)
    if row is None:
        row = MallSubscription(source=source) if mall else Subscription(source=source)
        row.email = email
        row.consented_at = utcnow()
        db.session.add(row)
    elif not row.subscribed:
        row.status = SubscriptionStatus.SUBSCRIBED
        row.source = source
        row.consented_at = utcnow()
        row.unsubscribed_at = None
    if user_id is not None and row.user_id is None:
        row.user_id = user_id
    db.session.flush()
    return row


def unsubscribe(subscription: AnySubscription) -> bool:
    """Opt out; True when this changed anything (a repeated unsubscribe changes nothing)."""
    if not subscription.subscribed:
        return False
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = utcnow()
    db.session.flush()
    return True


def subscribe_from_checkout(
    shop_ids: set[UUID], *, email: str, user_id: UUID | None, mall: bool
) -> int:
    """Record the boxes the customer ticked on the checkout's review; returns how many.

    ``shop_ids`` are the shops of the checkout whose box was ticked (the caller
    filters them to the checkout's shops).
    """
    count = 0
    if shop_ids:
        shops = db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(shop_ids))).all()
        for shop in shops:
            with tenant_context(shop):
                subscribe(email, source=ConsentSource.CHECKOUT, user_id=user_id)
            count += 1
    if mall:
        subscribe(email, source=ConsentSource.CHECKOUT, user_id=user_id, mall=True)
        count += 1
    return count


@dataclass(frozen=True)
class ShopChoice:
    """One shop on the preferences page and whether the customer gets its newsletter."""

    shop: Tenant
    subscribed: bool


@dataclass(frozen=True)
class Preferences:
    """What the email preferences page shows: the mall's newsletter and each shop's."""

    mall: bool
    shops: list[ShopChoice]


def preferences(user_id: UUID, *, email: str) -> Preferences:
    """The customer's newsletters: the mall's and those of the shops they ordered from or
    subscribed to (at most ``MAX_SHOPS_LISTED``, by name). Three queries, whatever the count."""
    with all_tenants("newsletters: the shops a customer ordered from or subscribed to"):
        subscribed = dict(
            db.session.execute(
                sa.select(Subscription.tenant_id, Subscription.status).where(
                    Subscription.user_id == user_id
                )
            ).all()
        )
        ordered = set(
            db.session.scalars(
                sa.select(Order.tenant_id).where(Order.user_id == user_id).distinct()
            )
        )
    ids = set(subscribed) | ordered
    shops = (
        db.session.scalars(
            sa.select(Tenant)
            .where(Tenant.id.in_(ids), Tenant.status != TenantStatus.CLOSED)
            .order_by(Tenant.name, Tenant.id)
            .limit(MAX_SHOPS_LISTED)
        ).all()
        if ids
        else []
    )
    mall = find_subscription(email, mall=True)
    return Preferences(
        mall=mall is not None and mall.subscribed,
        shops=[
            ShopChoice(shop, subscribed.get(shop.id) is SubscriptionStatus.SUBSCRIBED)
            for shop in shops
        ],
    )


def set_preferences(user_id: UUID, *, email: str, mall: bool, shop_ids: set[UUID]) -> None:
    """Save the preferences page: the mall's newsletter and each listed shop's.

    Shops not on the customer's page are ignored (nobody subscribes someone to a
    shop they never dealt with by posting its id).
    """
    current = preferences(user_id, email=email)
    _apply(find_subscription(email, mall=True), mall, email, user_id, mall_audience=True)
    for choice in current.shops:
        wanted = choice.shop.id in shop_ids
        if wanted == choice.subscribed:
            continue
        with tenant_context(choice.shop):
            _apply(find_subscription(email), wanted, email, user_id, mall_audience=False)


def _apply(
    row: AnySubscription | None, wanted: bool, email: str, user_id: UUID, *, mall_audience: bool
) -> None:
    if wanted:
        subscribe(email, source=ConsentSource.ACCOUNT, user_id=user_id, mall=mall_audience)
    elif row is not None:
        unsubscribe(row)


def forget_subscriber(user_id: UUID, *, email: str) -> int:
    """Delete an erased account's subscriptions: the mall's (by account or email) and every
    shop's linked to the account; their sent markers go with them. Returns how many.

    For the account deletion to call (``mall.accounts.erasure``): consent records of a
    person who is gone are personal data with no purpose left.
    """
    with all_tenants("account erasure: the erased account's newsletter subscriptions"):
        shops = db.session.execute(
            sa.delete(Subscription)
            .where(Subscription.user_id == user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
    index = MallSubscription.email.lookup(email, scope=PLATFORM)
    mall = db.session.execute(
        sa.delete(MallSubscription)
        .where(sa.or_(MallSubscription.user_id == user_id, MallSubscription.email_index == index))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return (shops or 0) + (mall or 0)


def follow_email_change(user_id: UUID, *, old_email: str, new_email: str) -> int:
    """Move the account's subscriptions to its new, confirmed address; returns how many.

    The mall's (linked to the account, or under the old address) and each shop's (linked
    to the account) get the new address sealed again with its blind index, so the next
    newsletter goes there. Where the new address already had a row, one row stays: the
    person's latest choice (subscribed or not) wins. Running it again changes nothing.
    """
    index = MallSubscription.email.lookup(old_email, scope=PLATFORM)
    mall_rows = db.session.scalars(
        sa.select(MallSubscription).where(
            sa.or_(MallSubscription.user_id == user_id, MallSubscription.email_index == index)
        )
    ).all()
    moved = _move(list(mall_rows), new_email, user_id, mall=True)
    with all_tenants("email change: the shops holding the account's subscriptions (ids only)"):
        shop_ids = set(
            db.session.scalars(
                sa.select(Subscription.tenant_id).where(Subscription.user_id == user_id)
            )
        )
    for shop_id in shop_ids:
        with tenant_context(shop_id):
            try:
                rows = db.session.scalars(
                    sa.select(Subscription).where(Subscription.user_id == user_id)
                ).all()
                moved += _move(list(rows), new_email, user_id, mall=False)
            except KeyDestroyed:
                continue  # a shredded shop: its subscriptions are erased already
    return moved


def _move(rows: list[AnySubscription], new_email: str, user_id: UUID, *, mall: bool) -> int:
    """Keep one row for ``new_email`` among ``rows`` and the row already under it (if any)."""
    existing = find_subscription(new_email, mall=mall)
    candidates = {row.id: row for row in [*rows, *([existing] if existing else [])]}
    if not rows or (existing is not None and set(candidates) == {existing.id}):
        return 0  # nothing under another address: done already
    keep = max(candidates.values(), key=_last_choice)
    for row in candidates.values():
        if row is not keep:
            db.session.delete(row)  # its sent markers go with it (ON DELETE CASCADE)
    db.session.flush()  # the old rows leave the blind index before the kept row takes it
    keep.email = new_email
    keep.user_id = user_id
    db.session.flush()
    return 1


def _last_choice(row: AnySubscription) -> tuple:
    """When the person last chose for this row (consent or opt-out), to keep the latest."""
    return (max(row.consented_at, row.unsubscribed_at or row.consented_at), row.id)


# ---------------------------------------------------------------- newsletters


def get_newsletter(newsletter_id: UUID | str | None) -> Newsletter | None:
    """A newsletter of the shop in context by id (another shop's: None)."""
    return scoped_get(Newsletter, newsletter_id)


def get_mall_newsletter(newsletter_id: UUID | str | None) -> MallNewsletter | None:
    """A newsletter of the mall by id."""
    try:
        return db.session.get(MallNewsletter, UUID(str(newsletter_id)))
    except ValueError:
        return None


def _clean(subject: str, body: str) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise NewsletterError("A newsletter needs a subject and a text.")
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise NewsletterError(
            f"Keep the subject under {SUBJECT_MAX} characters and the text under {BODY_MAX}."
        )
    return subject, body


def create_newsletter(subject: str, *, body: str, mall: bool = False) -> AnyNewsletter:
    """A draft newsletter of the shop in context (``mall``: of the mall)."""
    subject, body = _clean(subject, body)
    newsletter = (MallNewsletter if mall else Newsletter)(subject=subject, body=body)
    db.session.add(newsletter)
    db.session.flush()
    return newsletter


def update_newsletter(newsletter: AnyNewsletter, *, subject: str, body: str) -> None:
    """Change a draft; a newsletter being sent or sent stays as it went out."""
    if newsletter.status is not NewsletterStatus.DRAFT:
        raise NewsletterError("This newsletter is already being sent: it can no longer change.")
    newsletter.subject, newsletter.body = _clean(subject, body)
    db.session.flush()


def subscriber_count(*, mall: bool = False) -> int:
    """How many people get the shop in context's newsletter (``mall``: the mall's)."""
    model = MallSubscription if mall else Subscription
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.status == SubscriptionStatus.SUBSCRIBED)
        )
        or 0
    )


def start_sending(newsletter: AnyNewsletter) -> bool:
    """Send a draft to everyone opted in, in batches by a job; resume one cut short.

    True when a job was enqueued. A sent newsletter is left alone; pressing Send
    again while it goes out only re-enqueues the job, which skips every recipient
    already marked, so nobody gets it twice.
    """
    mall = isinstance(newsletter, MallNewsletter)
    if newsletter.status is NewsletterStatus.SENT:
        return False
    if newsletter.status is NewsletterStatus.DRAFT:
        recipients = subscriber_count(mall=mall)
        if recipients == 0:
            raise NewsletterError("Nobody has opted in to this newsletter yet: nothing to send.")
        newsletter.status = NewsletterStatus.SENDING
        newsletter.started_at = utcnow()
        newsletter.recipients = recipients
    db.session.flush()
    job = jobs.send_mall_newsletter if mall else jobs.send_newsletter
    enqueue_after_commit(job, newsletter.id)
    return True
