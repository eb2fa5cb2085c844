"""Read what the app sent: the development outbox of ``.eml`` files."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path


def outbox_dir(app) -> Path:
    return Path(app.config["INSTANCE_PATH"]) / "outbox"


def clear_outbox(app) -> None:
    for path in outbox_dir(app).glob("*.eml"):
        path.unlink()


def sent(app) -> list[EmailMessage]:
    """Messages in the outbox, oldest first."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox_dir(app).glob("*.eml"))
    ]


def sent_to(app, address: str) -> list[EmailMessage]:
    return [m for m in sent(app) if m["To"] == address]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage, path_part: str) -> str:
    """The first link in the text part containing ``path_part``, as a path."""
    for url in re.findall(r"https?://\S+", text_of(message)):
        if path_part in url:
            return re.sub(r"^https?://[^/]+", "", url)
    raise AssertionError(f"no link with {path_part!r} in the message")
