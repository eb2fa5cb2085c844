"""Newsletter jobs: one batch per run, ids only; the next batch is enqueued after commit.

A shop's newsletter job runs in the shop's context (it was enqueued there); the
mall's in none. Each run sends one batch (``sending.BATCH_SIZE``) and enqueues the
next one, so progress shows on the page as it goes, and a run cut short is picked
up by the next (or by pressing Send again) without sending anyone the same twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mall.extensions import db
from mall.jobs import enqueue_after_commit, job


@job(queue="mail")
def send_newsletter(newsletter_id: str) -> None:
    """Send the next batch of a shop's newsletter (in the shop's context)."""
    from mall.newsletters.services import get_newsletter

    _run(get_newsletter(newsletter_id), send_newsletter)


@job(queue="mail")
def send_mall_newsletter(newsletter_id: str) -> None:
    """Send the next batch of the mall's newsletter."""
    from mall.newsletters.services import get_mall_newsletter

    _run(get_mall_newsletter(newsletter_id), send_mall_newsletter)


def _run(newsletter: Any, again: Callable[..., None]) -> None:
    from mall.newsletters import sending

    if newsletter is None:
        return
    newsletter_id = newsletter.id
    handled = sending.send_batch(newsletter)
    newsletter = db.session.get(type(newsletter), sending._key(newsletter, newsletter_id))
    if handled and not sending.finish_if_done(newsletter):
        enqueue_after_commit(again, newsletter_id)
        db.session.commit()
    elif not handled:
        sending.finish_if_done(newsletter)
