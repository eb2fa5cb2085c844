"""The demo mall: what ``flask --app wsgi mall seed-demo`` creates (idempotent).

Each capability adds its part here; running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from mall.accounts.models import LoginEvent, User
from mall.accounts.services import create_user, find_user_by_email
from mall.db import utcnow
from mall.demo import run_seed_steps
from mall.demo.after_sale import DEMO_QUESTION, seed_after_sale
from mall.demo.catalog import seed_catalog
from mall.demo.delivery import DEMO_DOWNLOAD_IP, seed_delivery
from mall.demo.money import seed_money
from mall.demo.sales_office import SALES_OFFICE_PERSONAL_DATA, seed_sales_office
from mall.demo.selling import DEMO_ADDRESS_DATA, seed_selling
from mall.extensions import db
from mall.shops.models import Invitation, InvitationStatus, Membership, Role
from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant, TenantStatus
from tenants.services import add_domain, create_shop

DEMO_PASSWORD = "mall-demo-password"  # noqa: S105  (printed for the demo on purpose)

DEMO_SHOPS = (
    (
        "green-thumb",
        "Green Thumb Garden Supply",
        "Seeds, tools and patient advice for gardens of every size.",
        TenantStatus.ACTIVE,
    ),
    (
        "paper-lantern",
        "Paper Lantern Books",
        "New and second-hand books, with a soft spot for poetry and maps.",
        TenantStatus.ACTIVE,
    ),
    (
        "copper-kettle",
        "Copper Kettle Coffee",
        "Small-batch roasts, brewing gear and the odd biscuit.",
        TenantStatus.ACTIVE,
    ),
    (
        "northwind-outfitters",
        "Northwind Outfitters",
        "Rain shells, wool layers and boots that last.",
        TenantStatus.ACTIVE,
    ),
    (
        "pixel-forge",
        "Pixel Forge",
        "Digital art packs, fonts and templates, delivered instantly.",
        TenantStatus.ACTIVE,
    ),
    (
        "bright-sparks",
        "Bright Sparks Electronics",
        "Kits and components for makers. Opening soon.",
        TenantStatus.PENDING,
    ),
    (
        "old-mill-antiques",
        "Old Mill Antiques",
        "Furniture and curiosities from the old mill.",
        TenantStatus.SUSPENDED,
    ),
)
DEMO_DOMAINS = (("copper-kettle", "copper-kettle.example"),)

# (email, name, phone, operator, [(shop slug, role)])
DEMO_PEOPLE = (
    ("olive.operator@mall.example", "Olive Okonkwo", "+1 202 555 0101", True, []),
    (
        "maya.member@mall.example",
        "Maya Lindqvist",
        "+1 202 555 0142",
        False,
        [
            ("green-thumb", Role.OWNER),
            ("copper-kettle", Role.OWNER),
            ("paper-lantern", Role.OWNER),
            ("northwind-outfitters", Role.OWNER),
            ("pixel-forge", Role.OWNER),
            ("old-mill-antiques", Role.OWNER),
        ],
    ),
    (
        "sam.staff@mall.example",
        "Samir Haddad",
        "+1 202 555 0177",
        False,
        [("green-thumb", Role.MANAGER)],
    ),
    (
        "rita.sales@mall.example",
        "Rita Moreau",
        "+1 202 555 0188",
        False,
        [("green-thumb", Role.SALES_REP)],
    ),
    (
        "pat.pending@mall.example",
        "Patrice Nakamura",
        "+1 202 555 0199",
        False,
        [("bright-sparks", Role.OWNER)],
    ),
    # The demo affiliate (approved with code ALIDEMO by ``affiliates.demo``, a higher layer).
    ("ali.affiliate@mall.example", "Alinta Ferreira-Baptiste", "+1 202 555 0166", False, []),
    # Last: the demo's customer (``_seed_history``).
    ("carla.customer@mall.example", "Carla Jensen-Whitfield", "+1 202 555 0123", False, []),
)
DEMO_SHOP_CONTACTS = (("green-thumb", "hello@green-thumb.example"),)
DEMO_INVITATIONS = (("green-thumb", "ivy.invitee@mall.example", Role.STAFF),)
DEMO_LOGIN_IP = "203.0.113.24"
DEMO_AUDIT_IP = "198.51.100.7"

# Every piece of personal data the demo stores: a dump of the main database
# must contain none of it (tests/test_personal_data_at_rest.py).
DEMO_PERSONAL_DATA = (
    tuple(value for email, name, phone, _, _ in DEMO_PEOPLE for value in (email, name, phone))
    + tuple(c for _, c in DEMO_SHOP_CONTACTS)
    + tuple(e for _, e, _ in DEMO_INVITATIONS)
    + (
        DEMO_LOGIN_IP,
        DEMO_AUDIT_IP,
        DEMO_DOWNLOAD_IP,
        DEMO_QUESTION,
    )
    + DEMO_ADDRESS_DATA
    + SALES_OFFICE_PERSONAL_DATA
)


def seed_demo() -> list[str]:
    """Create what is missing of the demo mall; returns lines that say what exists."""
    created = [_seed_shop(*spec) for spec in DEMO_SHOPS]
    shops = {s.slug: s for s in db.session.scalars(sa.select(Tenant))}
    for slug, host in DEMO_DOMAINS:
        add_domain(shops[slug], host)
    people = [_seed_person(*spec, shops=shops) for spec in DEMO_PEOPLE]
    for slug, contact in DEMO_SHOP_CONTACTS:
        if shops[slug].contact_email_ct is None:
            shops[slug].contact_email = contact
    for slug, email, role in DEMO_INVITATIONS:
        _seed_invitation(shops[slug], email, role, invited_by=people[1])
    _seed_history(people, shops)
    db.session.flush()
    report = _report(shops, sum(created)) + seed_catalog() + seed_selling(shops)
    report += seed_money(shops) + seed_delivery(shops) + seed_after_sale(shops)
    report += seed_sales_office(shops)
    return report + run_seed_steps()


def _seed_shop(slug: str, name: str, description: str, status: TenantStatus) -> bool:
    if db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        return False
    create_shop(slug, name=name, description=description, status=status)
    return True


def _seed_person(
    email: str, name: str, phone: str, operator: bool, roles: list, *, shops: dict
) -> User:
    user = find_user_by_email(email) or create_user(
        email, DEMO_PASSWORD, name=name, phone=phone, verified=True, operator=operator
    )
    for slug, role in roles:
        exists = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user.id, Membership.tenant_id == shops[slug].id
            )
        )
        if exists is None:
            db.session.add(Membership(user_id=user.id, tenant_id=shops[slug].id, role=role))
    return user


def _seed_invitation(shop: Tenant, email: str, role: Role, *, invited_by: User) -> None:
    with tenant_context(shop):
        wanted = Invitation.email.lookup(email, scope=shop.key_scope)
        if db.session.scalar(sa.select(Invitation.id).where(Invitation.email_index == wanted)):
            return
        invitation = Invitation(
            role=role, invited_by_id=invited_by.id, expires_at=utcnow() + timedelta(days=7)
        )
        invitation.email = email
        invitation.status = InvitationStatus.PENDING
        db.session.add(invitation)
        db.session.flush()


def _seed_history(people: list[User], shops: dict) -> None:
    customer, operator = people[-1], people[0]
    if not db.session.scalar(sa.select(LoginEvent.id).where(LoginEvent.user_id == customer.id)):
        event = LoginEvent(user_id=customer.id, succeeded=True)
        event.ip_address = DEMO_LOGIN_IP
        db.session.add(event)
    if not db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.actor_id == operator.id)):
        audit = AuditEvent(
            actor_id=operator.id,
            action="shop.approved",
            target_type="shop",
            target_id=str(shops["green-thumb"].id),
            details={"from": "pending", "to": "active"},
        )
        audit.ip_address = DEMO_AUDIT_IP
        db.session.add(audit)


def _report(shops: dict, created: int) -> list[str]:
    lines = [
        f"Demo mall ready ({created} shop(s) created, {len(DEMO_SHOPS) - created} already there):"
    ]
    for slug, *_ in DEMO_SHOPS:
        shop = shops[slug]
        lines.append(f"  shop {shop.slug:<22} {shop.status.value:<10} /shop/{shop.slug}/")
    for slug, host in DEMO_DOMAINS:
        lines.append(f"  domain {host} -> {slug}")
    lines.append(f"Sign in at http://127.0.0.1:5000/account/login with password {DEMO_PASSWORD!r}:")
    for email, _, _, operator, roles in DEMO_PEOPLE:
        what = (
            "operator"
            if operator
            else ", ".join(f"{r.value} of {s}" for s, r in roles) or "customer"
        )
        lines.append(f"  {email:<32} {what}")
    lines.append(
        "Open http://127.0.0.1:5000/ — shops also answer at http://<slug>.localhost:5000/."
    )
    return lines
