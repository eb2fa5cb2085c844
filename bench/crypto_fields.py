"""Cost of sealing, opening and indexing a short personal-data field.

    .venv/bin/python -m bench.crypto_fields [--rounds 200000]

Uses the real key service (local master key, SQLite key store in a temp dir)
with warm caches, as in a running app.
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
import time
from pathlib import Path

from tenants.keys.cipher import FieldContext
from tenants.keys.provider import LocalKeyProvider
from tenants.keys.service import KeyService, tenant_scope
from tenants.keys.store import KeyStore


def per_op(rounds: int, fn) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        service = KeyService(
            LocalKeyProvider("1:" + base64.b64encode(os.urandom(32)).decode()),
            KeyStore(f"sqlite:///{Path(folder) / 'keystore.db'}"),
        )
        scope = tenant_scope("01a20000-0000-7000-8000-000000000001")
        context = FieldContext(scope, "users", "email", "01a20000-0000-7000-8000-000000000002")
        value = "ada.lovelace@example.com"
        sealed = service.encrypt(value, context)
        service.blind_index(value, scope=scope, field="users.email")
        results = {
            "encrypt": per_op(args.rounds, lambda: service.encrypt(value, context)),
            "decrypt": per_op(args.rounds, lambda: service.decrypt(sealed, context)),
            "blind index": per_op(
                args.rounds, lambda: service.blind_index(value, scope=scope, field="users.email")
            ),
        }
        service.store.dispose()
    print(f"{len(value)}-character field, {args.rounds} rounds, warm key cache:")
    for name, micros in results.items():
        print(f"  {name:<12} {micros:6.2f} µs")


if __name__ == "__main__":
    main()
