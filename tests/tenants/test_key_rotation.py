"""Rotation: every row ends on the new key, interruptions resume, live writes survive."""

from __future__ import annotations

import base64
import os

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import key_service, tenant_scope
from tenants.keys.cipher import dek_version_of
from tenants.keys.provider import LocalKeyProvider
from tenants.keys.rotation import rotate_scope, version_counts
from tenants.keys.store import ACTIVE, DESTROYED, ENCRYPTION
from tests.support.models import Author


@pytest.fixture
def authors(shop_a):
    ids = []
    with tenant_context(shop_a):
        for n in range(7):
            author = Author(name=f"Author {n}")
            author.email = f"author{n}@example.com"
            author.phone = f"+1 555 01{n:02d}"
            db.session.add(author)
            db.session.flush()
            ids.append(author.id)
        db.session.commit()
    return ids


def states(scope: str) -> dict[int, str]:
    return {r.version: r.state for r in key_service().store.versions(scope, ENCRYPTION)}


def assert_all_on(shop, ids, version: int) -> None:
    with tenant_context(shop):
        db.session.expire_all()
        for n, author_id in enumerate(ids):
            author = scoped_get(Author, author_id)
            assert dek_version_of(author.email_ct) == version
            assert dek_version_of(author.phone_ct) == version
            assert author.email == f"author{n}@example.com"


def test_rotation_moves_every_row_to_the_new_version_and_retires_the_old(shop_a, authors):
    scope = tenant_scope(shop_a.id)
    assert version_counts(scope) == {1: 14}
    report = rotate_scope(scope, batch_size=3)
    assert report.primary == 2
    assert report.re_encrypted == 14
    assert report.retired == [1]
    assert states(scope) == {1: DESTROYED, 2: ACTIVE}
    assert version_counts(scope) == {2: 14}
    assert_all_on(shop_a, authors, 2)


def test_rotation_leaves_blind_indexes_working(shop_a, authors):
    scope = tenant_scope(shop_a.id)
    rotate_scope(scope)
    with tenant_context(shop_a):
        wanted = Author.email.lookup("AUTHOR3@example.com", scope=scope)
        found = db.session.scalars(sa.select(Author).where(Author.email_index == wanted)).one()
        assert found.name == "Author 3"


def test_interrupted_rotation_resumes_without_a_third_version(shop_a, authors):
    scope = tenant_scope(shop_a.id)

    def crash_after_first_batch(seen: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_scope(scope, batch_size=3, on_batch=crash_after_first_batch)
    db.session.rollback()
    assert states(scope) == {1: "decrypt-only", 2: ACTIVE}
    assert version_counts(scope) == {2: 3, 1: 11}  # the first batch was kept
    report = rotate_scope(scope, batch_size=3)
    assert report.primary == 2 and report.retired == [1]
    assert states(scope) == {1: DESTROYED, 2: ACTIVE}
    assert_all_on(shop_a, authors, 2)


def test_write_during_rotation_is_not_lost(shop_a, authors, monkeypatch):
    """A write that lands between the rotation's read and its write wins."""
    scope = tenant_scope(shop_a.id)
    service = key_service()
    real_decrypt = service.decrypt
    target = authors[4]
    raced = []

    def decrypt_then_race(ciphertext, context):
        value = real_decrypt(ciphertext, context)
        if context.row_id == str(target) and context.column == "email" and not raced:
            raced.append(True)
            author = scoped_get(Author, target)
            author.email = "changed-meanwhile@example.com"  # a user edits it right now
            db.session.flush()
        return value

    monkeypatch.setattr(service, "decrypt", decrypt_then_race)
    report = rotate_scope(scope, batch_size=10)
    monkeypatch.undo()
    assert raced
    assert report.retired == [1]
    with tenant_context(shop_a):
        db.session.expire_all()
        assert scoped_get(Author, target).email == "changed-meanwhile@example.com"


def test_new_writes_use_the_new_version_at_once(shop_a, authors):
    scope = tenant_scope(shop_a.id)
    rotate_scope(scope)
    with tenant_context(shop_a):
        author = Author(name="Fresh")
        author.email = "fresh@example.com"
        assert dek_version_of(author.email_ct) == 2


def test_rotating_one_shop_leaves_another_alone(shop_a, shop_b, authors):
    with tenant_context(shop_b):
        other = Author(name="B")
        other.email = "b@example.com"
        db.session.add(other)
        db.session.commit()
    rotate_scope(tenant_scope(shop_a.id))
    assert version_counts(tenant_scope(shop_b.id)) == {1: 1}


def test_master_rotation_rewraps_keys_without_touching_rows(app, shop_a, authors):
    service = key_service()
    before = {
        r.version: r.master_version
        for r in service.store.versions(tenant_scope(shop_a.id), ENCRYPTION)
    }
    with tenant_context(shop_a):
        rows_before = [scoped_get(Author, i).email_ct for i in authors]
    old_provider = service.provider
    new_key = "9:" + base64.b64encode(os.urandom(32)).decode()
    service.provider = LocalKeyProvider(f"{new_key},{app.config['MASTER_KEYS']}")
    try:
        assert service.rotate_master() >= 2
        after = service.store.versions(tenant_scope(shop_a.id), ENCRYPTION)
        assert before == {1: 1} and {r.master_version for r in after} == {9}
        # The old master key can now go: the newest alone opens everything.
        service.provider = LocalKeyProvider(new_key)
        service.clear_cache()
        with tenant_context(shop_a):
            db.session.expire_all()
            assert [scoped_get(Author, i).email_ct for i in authors] == rows_before
            assert scoped_get(Author, authors[0]).email == "author0@example.com"
    finally:
        # Re-wrap back under the session's master key, so later tests read their keys.
        service.provider = LocalKeyProvider(f"{app.config['MASTER_KEYS']},{new_key}")
        service.rotate_master()
        service.provider = old_provider
        service.clear_cache()


def test_keys_cli_rotate_and_status(app, database, shop_a, authors):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mall", "keys", "rotate", "--scope", "shop-a"])
    assert result.exit_code == 0, result.output
    assert "primary is now version 2" in result.output
    assert "re-encrypted 14 value(s)" in result.output
    status = runner.invoke(args=["mall", "keys", "status", "--scope", "shop-a"])
    assert status.exit_code == 0, status.output
    lines = [line.split() for line in status.output.splitlines()[1:]]
    assert ["shop-a", "encryption", "1", "destroyed", "1", "0"] in lines
    assert ["shop-a", "encryption", "2", "active", "1", "14"] in lines


def test_keys_cli_refuses_an_unknown_shop(app, database):
    result = app.test_cli_runner().invoke(args=["mall", "keys", "rotate", "--scope", "nope"])
    assert result.exit_code != 0
    assert "no shop with the slug" in result.output
