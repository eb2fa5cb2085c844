"""Licence keys: CSV import (sealed, duplicates refused by the blind index), one key per unit
sold, never the same key twice (also with 20 buyers at once on PostgreSQL), a clear "waiting"
state when the pool is empty, filled by the next import, the low-pool warning once per crossing,
and keys revoked with their grant."""

from __future__ import annotations

import threading
from uuid import UUID

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.delivery import key_imports, services
from mall.delivery.errors import DeliveryError
from mall.delivery.models import DownloadGrant, KeyPool, KeyStatus, LicenceKey
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.services import mark_order_paid
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import create_shop
from tests.support.committed import committed_app_fixture, needs_committed_pg
from tests.support.delivery import (
    digital_product,
    order_page_link,
    paid_order,
    the_grant,
    unpaid_order,
)
from tests.support.mail import clear_outbox, sent, text_of


@pytest.fixture
def outbox(app):
    clear_outbox(app)
    return app


def csv_of(*values: str, header: bool = True) -> bytes:
    return ("key\n" if header else "").encode() + "".join(f"{v}\n" for v in values).encode()


def import_into(shop, variant_id, data: bytes):
    with tenant_context(shop):
        variant = db.session.get(Variant, (shop.id, variant_id))
        done = key_imports.import_keys(variant, data)
        db.session.commit()
    return done


def pool_keys(shop, variant_id) -> list[LicenceKey]:
    with tenant_context(shop):
        db.session.expire_all()
        return list(
            db.session.scalars(
                sa.select(LicenceKey)
                .join(KeyPool, KeyPool.id == LicenceKey.pool_id)
                .where(KeyPool.variant_id == variant_id)
                .order_by(LicenceKey.created_at)
            )
        )


def issued_values(shop, order_id) -> list[str]:
    grant = the_grant(shop, order_id)
    with tenant_context(shop):
        return [
            key.key
            for key in db.session.scalars(
                sa.select(LicenceKey).where(
                    LicenceKey.grant_id == grant.id, LicenceKey.status == KeyStatus.ISSUED
                )
            )
        ]


def test_keys_are_sealed_and_each_unit_sold_takes_one(app, shop_a, outbox):
    font = digital_product(shop_a)
    assert (
        import_into(shop_a, font.variant_id, csv_of("AAAA-1111", "BBBB-2222", "CCCC-3333")).added
        == 3
    )
    stored = pool_keys(shop_a, font.variant_id)
    assert all(b"AAAA" not in key.key_ct and len(key.key_index) == 32 for key in stored)
    order_id = paid_order(shop_a, font.variant_id, quantity=2)
    assert issued_values(shop_a, order_id) == ["AAAA-1111", "BBBB-2222"]
    grant = the_grant(shop_a, order_id)
    assert (grant.keys_needed, grant.keys_issued, grant.waiting_for_keys) == (2, 2, 0)
    (message,) = [m for m in sent(app) if "Your downloads" in m["Subject"]]
    assert "AAAA-1111" in text_of(message) and "BBBB-2222" in text_of(message)


def test_an_import_with_a_duplicate_imports_nothing(shop_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("AAAA-1111"))
    for data, message in (
        (csv_of("NEW-1", "NEW-1"), "row 3: the same key as row 2"),
        (csv_of("NEW-2", " AAAA-1111 "), "already in this pool"),
        (b"key\n", "holds no keys"),
        (b"\xff\xfe", "not UTF-8"),
        (csv_of("x" * 201), "up to 200"),
    ):
        with pytest.raises(DeliveryError, match=message):
            import_into(shop_a, font.variant_id, data)
        db.session.rollback()
    assert [k.key for k in pool_keys(shop_a, font.variant_id)] == ["AAAA-1111"]


def test_an_empty_pool_leaves_the_line_waiting_until_keys_are_imported(app, client, shop_a, outbox):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("ONLY-ONE"))
    first = paid_order(shop_a, font.variant_id)
    second = paid_order(shop_a, font.variant_id, quantity=2, email="eve@example.com")
    assert issued_values(shop_a, first) == ["ONLY-ONE"]
    waiting = the_grant(shop_a, second)
    assert (waiting.keys_issued, waiting.waiting_for_keys) == (0, 2)
    html = client.get(order_page_link(shop_a, second)).get_data(as_text=True)
    assert "Waiting for a key" in html and "2 licence keys still to come" in html
    clear_outbox(app)

    done = import_into(shop_a, font.variant_id, csv_of("LATE-1", "LATE-2", "LATE-3"))
    assert (done.added, done.filled) == (3, 1)
    assert sorted(issued_values(shop_a, second)) == ["LATE-1", "LATE-2"]
    assert the_grant(shop_a, second).waiting_for_keys == 0
    (ready,) = [m for m in sent(app) if "is ready" in m["Subject"]]
    assert ready["To"] == "eve@example.com"
    html = client.get(order_page_link(shop_a, second)).get_data(as_text=True)
    assert "LATE-1" in html and "Waiting for a key" not in html


def test_the_shop_is_warned_once_per_crossing_of_the_low_mark(app, shop_a, make_user, outbox):
    from mall.shops.models import Membership, Role

    owner = make_user("owner@example.com")
    db.session.add(Membership(user_id=owner.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    font = digital_product(shop_a)
    with tenant_context(shop_a):
        services.update_settings(
            services.delivery_settings(), expiry_days=30, download_limit=5, low_pool_threshold=2
        )
        db.session.commit()
    import_into(shop_a, font.variant_id, csv_of(*[f"K-{n}" for n in range(5)]))

    def warnings() -> int:
        return len([m for m in sent(app) if "running low" in m["Subject"]])

    paid_order(shop_a, font.variant_id, quantity=2)  # 3 left
    assert warnings() == 0
    paid_order(shop_a, font.variant_id)  # 2 left: warned
    paid_order(shop_a, font.variant_id)  # 1 left: not again
    assert warnings() == 1
    (message,) = [m for m in sent(app) if "running low" in m["Subject"]]
    assert message["To"] == "owner@example.com" and "1 left" not in text_of(message)
    import_into(shop_a, font.variant_id, csv_of(*[f"M-{n}" for n in range(5)]))  # 6: re-armed
    paid_order(shop_a, font.variant_id, quantity=4)  # 2 left: warned again
    assert warnings() == 2


def test_a_refund_revokes_the_keys_and_they_are_never_issued_again(shop_a):
    from tests.mall.test_delivery_grants import refund_units

    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of("ONE", "TWO", "THREE"))
    order_id = paid_order(shop_a, font.variant_id, quantity=2)
    refund_units(shop_a, order_id, 1)  # one unit back: one key revoked, access kept
    grant = the_grant(shop_a, order_id)
    assert grant.status.value == "active" and (grant.keys_needed, grant.keys_issued) == (1, 1)
    assert issued_values(shop_a, order_id) == ["ONE"]
    refund_units(shop_a, order_id, 1)
    assert the_grant(shop_a, order_id).status.value == "revoked"
    states = {k.key: k.status for k in pool_keys(shop_a, font.variant_id)}
    assert states == {
        "ONE": KeyStatus.REVOKED,
        "TWO": KeyStatus.REVOKED,
        "THREE": KeyStatus.AVAILABLE,
    }
    later = paid_order(shop_a, font.variant_id, quantity=2)
    assert issued_values(shop_a, later) == ["THREE"]
    assert the_grant(shop_a, later).waiting_for_keys == 1


def test_every_key_goes_to_one_grant_at_most(shop_a):
    font = digital_product(shop_a)
    import_into(shop_a, font.variant_id, csv_of(*[f"K-{n}" for n in range(7)]))
    orders = [paid_order(shop_a, font.variant_id, quantity=q) for q in (1, 3, 2, 4)]
    values = [value for order_id in orders for value in issued_values(shop_a, order_id)]
    assert len(values) == 7 and len(set(values)) == 7
    assert [the_grant(shop_a, o).waiting_for_keys for o in orders] == [0, 0, 0, 3]


# ---------------------------------------------------------------- 20 buyers at once (PostgreSQL)


committed_app = committed_app_fixture()


@needs_committed_pg
def test_twenty_buyers_at_once_share_ten_keys_each_key_once(committed_app, monkeypatch):
    from mall import jobs

    app = committed_app
    with app.app_context():
        shop = create_shop("key-race", name="Key Race", status=TenantStatus.ACTIVE)
        db.session.commit()
        font = digital_product(shop)
        import_into(shop, font.variant_id, csv_of(*[f"RACE-{n:02d}" for n in range(10)]))
        order_ids = [unpaid_order(shop, font.variant_id) for _ in range(20)]
        shop_id = shop.id
    ready = threading.Barrier(len(order_ids))
    errors: list[BaseException] = []
    # Committed jobs are kept, as rq would (inline, each would take a second connection of the
    # pool while its buyer holds the first: twenty buyers would starve a pool of fifteen).
    queued: list[jobs.PendingJob] = []
    monkeypatch.setattr(jobs, "dispatch", queued.append)

    def buyer(order_id: UUID) -> None:
        with app.app_context(), tenant_context(shop_id):
            try:
                # All start together; no connection is held while waiting (the pool has 15).
                ready.wait(timeout=60)
                order = db.session.scalars(sa.select(Order).where(Order.id == order_id)).one()
                assert mark_order_paid(order)
                db.session.commit()
            except BaseException as error:  # surfaced below
                db.session.rollback()
                errors.append(error)
                ready.abort()

    threads = [threading.Thread(target=buyer, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    with app.app_context(), tenant_context(shop_id):
        grants = db.session.scalars(
            sa.select(DownloadGrant).where(DownloadGrant.variant_id == font.variant_id)
        ).all()
        issued = db.session.scalars(
            sa.select(LicenceKey).where(LicenceKey.status == KeyStatus.ISSUED)
        ).all()
        assert len(grants) == 20
        assert len(issued) == 10
        assert len({key.grant_id for key in issued}) == 10  # ten grants, one key each
        assert len({key.key for key in issued}) == 10  # ten different keys
        assert sorted(g.keys_issued for g in grants) == [0] * 10 + [1] * 10
        assert sum(g.waiting_for_keys for g in grants) == 10  # the rest held, clearly
    refs = [item.ref for item in queued]
    assert refs.count("mall.delivery.jobs:send_downloads_email") == 20
    assert refs.count("mall.delivery.jobs:send_low_pool_email") == 1  # once, whoever crossed
