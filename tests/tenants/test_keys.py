"""The key service: sealing, binding to place, blind indexes, failures that say what to do."""

from __future__ import annotations

import base64
import os

import pytest
import sqlalchemy as sa
from flask import render_template_string

from mall.extensions import db
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import (
    ERASED,
    PLATFORM,
    CiphertextInvalid,
    DataKeyMissing,
    KeyDestroyed,
    KeyService,
    KeyStoreUnavailable,
    MasterKeyError,
    key_service,
    reveal,
    tenant_scope,
)
from tenants.keys.provider import LocalKeyProvider
from tenants.keys.store import KeyStore
from tests.support.models import Author, Contact


def new_master(version: int = 1) -> str:
    return f"{version}:" + base64.b64encode(os.urandom(32)).decode()


def make_author(shop, name="Ada", email="Ada@Example.com", phone="+1 555 0100") -> Author:
    with tenant_context(shop):
        author = Author(name=name)
        author.email = email
        author.phone = phone
        db.session.add(author)
        db.session.flush()
        return author


def raw(model, column: str, row_id) -> bytes:
    table = model.__table__
    return bytes(
        db.session.execute(sa.select(table.c[column]).where(table.c.id == row_id)).scalar_one()
    )


def test_encrypted_field_reads_like_a_string_and_stores_ciphertext(shop_a):
    author = make_author(shop_a)
    with tenant_context(shop_a):
        db.session.commit()
        db.session.expire_all()
        again = scoped_get(Author, author.id)
        assert again.email == "Ada@Example.com"
        assert again.phone == "+1 555 0100"
        stored = raw(Author, "email", author.id)
    assert b"Ada" not in stored and b"example" not in stored.lower()
    assert stored[0] == 0x01 and len(stored) == 6 + 12 + len("Ada@Example.com") + 16


def test_ciphertext_moved_to_another_row_fails(shop_a):
    first, second = make_author(shop_a), make_author(shop_a, email="grace@example.com")
    with tenant_context(shop_a):
        second.email_ct = first.email_ct
        with pytest.raises(CiphertextInvalid, match="moved from another row"):
            _ = second.email


def test_ciphertext_moved_to_another_column_fails(shop_a):
    author = make_author(shop_a)
    with tenant_context(shop_a):
        author.phone_ct = author.email_ct
        with pytest.raises(CiphertextInvalid):
            _ = author.phone


def test_ciphertext_moved_to_another_shop_fails(shop_a, shop_b):
    a, b = make_author(shop_a), make_author(shop_b)
    with tenant_context(shop_b):
        b.email_ct = a.email_ct
        with pytest.raises(CiphertextInvalid):
            _ = b.email


@pytest.mark.parametrize("position", [0, 5, 10, 20, -1])
def test_tampering_one_byte_fails(shop_a, position):
    author = make_author(shop_a)
    tampered = bytearray(author.email_ct)
    tampered[position] ^= 0x01
    with tenant_context(shop_a):
        author.email_ct = bytes(tampered)
        with pytest.raises(CiphertextInvalid):
            _ = author.email


def test_truncated_ciphertext_fails(shop_a):
    author = make_author(shop_a)
    with tenant_context(shop_a):
        author.email_ct = author.email_ct[:10]
        with pytest.raises(CiphertextInvalid, match="truncated"):
            _ = author.email


def test_bytes_are_sealed_like_fields_and_bound_to_their_place(app_ctx):
    from tenants.keys.cipher import FieldContext

    data = b"PK\x03\x04" + os.urandom(64) + b"ada@example.com"
    here = FieldContext(PLATFORM, "data_exports", "file", "1")
    sealed = key_service().encrypt_bytes(data, here)
    assert data not in sealed and b"ada@example.com" not in sealed and sealed[:2] != b"PK"
    assert key_service().decrypt_bytes(sealed, here) == data
    elsewhere = FieldContext(PLATFORM, "data_exports", "file", "2")
    with pytest.raises(CiphertextInvalid):
        key_service().decrypt_bytes(sealed, elsewhere)


def test_same_email_in_two_scopes_has_different_blind_indexes(shop_a, shop_b):
    a, b = make_author(shop_a), make_author(shop_b)
    contact = Contact()
    contact.email = "ada@example.com"
    assert a.email_index != b.email_index
    assert contact.email_index not in (a.email_index, b.email_index)
    assert len(a.email_index) == 32


def test_lookup_by_email_is_case_insensitive(shop_a):
    author = make_author(shop_a, email="Ada@Example.com")
    with tenant_context(shop_a):
        wanted = Author.email.lookup("  ada@EXAMPLE.com ", scope=tenant_scope(shop_a.id))
        found = db.session.scalars(sa.select(Author).where(Author.email_index == wanted)).one()
    assert found.id == author.id


def test_duplicate_email_is_refused_case_insensitively(shop_a):
    make_author(shop_a, email="ada@example.com")
    with pytest.raises(sa.exc.IntegrityError):
        make_author(shop_a, email="ADA@example.COM ")


def test_platform_scope_rows(app_ctx):
    contact = Contact()
    contact.email = "someone@example.org"
    db.session.add(contact)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).email == "someone@example.org"
    found = db.session.scalars(
        sa.select(Contact).where(Contact.email_index == Contact.email.lookup("SOMEONE@example.org"))
    ).one()
    assert found.id == contact.id


# ---------------------------------------------------------------- failures that say what to do


def service_with(app, master_keys: str, keystore_url: str | None = None) -> KeyService:
    return KeyService(
        LocalKeyProvider(master_keys), KeyStore(keystore_url or app.config["KEYSTORE_URL"])
    )


def test_wrong_master_key_is_a_clear_error(app, shop_a):
    author = make_author(shop_a)
    other = service_with(app, new_master())
    from tenants.keys.cipher import FieldContext

    context = FieldContext(tenant_scope(shop_a.id), "test_authors", "email", str(author.id))
    with pytest.raises(MasterKeyError, match="not the key they were wrapped with"):
        other.decrypt(author.email_ct, context)


def test_master_key_version_missing_from_the_environment(app, shop_a):
    author = make_author(shop_a)
    other = service_with(app, new_master(version=7))
    from tenants.keys.cipher import FieldContext

    context = FieldContext(tenant_scope(shop_a.id), "test_authors", "email", str(author.id))
    with pytest.raises(MasterKeyError, match="version 1"):
        other.decrypt(author.email_ct, context)


@pytest.mark.parametrize("value", [None, "", "abc", "1:short", "x:" + "A" * 44, "1:a,1:b"])
def test_malformed_master_keys_say_how_to_make_one(value):
    with pytest.raises(MasterKeyError, match="MALL_MASTER_KEYS"):
        LocalKeyProvider(value)


def test_missing_key_store_is_a_clear_error(app, shop_a, tmp_path):
    author = make_author(shop_a)
    empty = service_with(app, app.config["MASTER_KEYS"], f"sqlite:///{tmp_path / 'empty.db'}")
    from tenants.keys.cipher import FieldContext

    context = FieldContext(tenant_scope(shop_a.id), "test_authors", "email", str(author.id))
    with pytest.raises(DataKeyMissing, match="MALL_KEYSTORE_URL"):
        empty.decrypt(author.email_ct, context)


def test_unreachable_key_store_is_a_clear_error(app):
    unreachable = service_with(
        app, app.config["MASTER_KEYS"], "postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    with pytest.raises(KeyStoreUnavailable, match="MALL_KEYSTORE_URL"):
        unreachable.primary_version(PLATFORM)


# ---------------------------------------------------------------- shredding


def test_shredding_a_shop_erases_its_data_and_nothing_else(shop_a, shop_b):
    a, b = make_author(shop_a), make_author(shop_b, email="b@example.com")
    contact = Contact()
    contact.email = "platform@example.com"
    db.session.add(contact)
    db.session.commit()
    assert key_service().shred(tenant_scope(shop_a.id)) == 2  # encryption + blind index
    with tenant_context(shop_a):
        db.session.expire_all()
        again = scoped_get(Author, a.id)
        with pytest.raises(KeyDestroyed):
            _ = again.email
        assert reveal(again, "email") == ERASED
        page = render_template_string("{{ author.email }} / {{ author.name }}", author=again)
        assert page == "[erased] / Ada"
        with pytest.raises(KeyDestroyed):  # and nothing new can be written for it
            again.phone = "+1 555 0199"
    with tenant_context(shop_b):
        assert scoped_get(Author, b.id).email == "b@example.com"
    assert db.session.get(Contact, contact.id).email == "platform@example.com"


def test_the_platform_scope_is_never_shredded(app_ctx):
    from tenants.keys import KeyServiceError

    with pytest.raises(KeyServiceError):
        key_service().shred(PLATFORM)
