"""File storage behind a small interface: keys in, bytes out.

Keys are made by the code (``logos/<shop id>/<random hex>.png``), never by
users; ``LocalStorage`` still refuses keys that could leave its root. Another
backend (an object store) only needs ``save``, ``open`` and ``delete``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Protocol

from flask import current_app

EXTENSION_KEY = "mall.storage"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class StorageKeyInvalid(ValueError):
    """A key that is malformed or could point outside the storage."""


class Storage(Protocol):
    """Where uploaded files live."""

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing what was there)."""

    def open(self, key: str) -> bytes:
        """The bytes stored under ``key``; FileNotFoundError when there are none."""

    def delete(self, key: str) -> None:
        """Forget ``key``; a missing key is not an error."""

    def delete_prefix(self, prefix: str) -> int:
        """Forget every key under ``prefix/``; returns how many went."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a relative path of safe segments, else raise StorageKeyInvalid."""
    if not isinstance(key, str) or not key or len(key) > 255:
        raise StorageKeyInvalid("a storage key is a short relative path")
    segments = key.split("/")
    for segment in segments:
        # ``..`` and hidden names are refused by the pattern (a segment starts alphanumeric).
        if segment in ("", ".", "..") or not _SEGMENT.match(segment):
            raise StorageKeyInvalid("a storage key is made of plain path segments")
    return key


def random_key(prefix: str, suffix: str) -> str:
    """``<prefix>/<random hex><suffix>``: unguessable, never chosen by a user."""
    return f"{prefix.strip('/')}/{secrets.token_hex(16)}{suffix}"


class LocalStorage:
    """Files under a directory on local disk (development, tests, a single server)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise StorageKeyInvalid("a storage key must stay inside the storage")
        return path

    def save(self, key: str, data: bytes) -> None:
        """Write atomically: readers see the old file or the new one, never half of one."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, path)

    def open(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError when the key holds nothing."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file, if it is there."""
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        """Remove the folder ``prefix`` and everything in it."""
        folder = self._path(prefix.strip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        shutil.rmtree(folder)
        return count


def storage() -> Storage:
    """The app's storage: ``app.extensions["mall.storage"]`` or files under the instance path."""
    existing = current_app.extensions.get(EXTENSION_KEY)
    if existing is None:
        existing = LocalStorage(Path(current_app.config["INSTANCE_PATH"]) / "files")
        current_app.extensions[EXTENSION_KEY] = existing
    return existing
