"""Development's SQLite file: two requests that read, then write, at once both succeed.

A deferred ``BEGIN`` let both read; the second to write then failed at once with
"database is locked" (a double click on "Place order" answered 500).
"""

from __future__ import annotations

import contextlib
import threading

import sqlalchemy as sa

from mall.extensions import db
from tenants.models import PlatformSetting
from tenants.settings import put_setting
from tests.support.committed import own_app


def test_two_writers_at_once_take_turns(tmp_path):
    with own_app("sqlite", tmp_path) as app:
        both_read = threading.Barrier(2, timeout=2)
        errors: list[BaseException] = []

        def request(n: int) -> None:
            try:
                with app.app_context():
                    db.session.scalar(sa.select(sa.func.count()).select_from(PlatformSetting))
                    with contextlib.suppress(threading.BrokenBarrierError):
                        both_read.wait()  # with IMMEDIATE the second waits before reading
                    put_setting(f"test.writer.{n}", n)
                    db.session.commit()
            except BaseException as error:  # surfaced below
                errors.append(error)

        threads = [threading.Thread(target=request, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        with app.app_context():
            keys = db.session.scalars(
                sa.select(PlatformSetting.key).where(PlatformSetting.key.like("test.writer.%"))
            ).all()
        assert sorted(keys) == ["test.writer.0", "test.writer.1"]
