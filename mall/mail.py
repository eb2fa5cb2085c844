"""Email transport: render a message from templates and deliver it.

``render_message(template, to=…, subject=…, **context)`` renders
``<template>.txt`` and ``<template>.html`` into one multipart/alternative
message: a domain's own path (``"ledger/email/dispute_opened"``), or a bare
name for the shared ``mail/<name>`` templates (``"welcome"``); ``deliver(message)``
sends it through SMTP when ``SMTP_URL`` is set and otherwise writes it as an ``.eml``
file into ``<INSTANCE_PATH>/outbox/`` (development and tests).

``SMTP_URL`` format::

    smtp://user:pass@host:port?tls=starttls|ssl|none&timeout=10
    smtps://user:pass@host:port?timeout=10

- ``smtp://`` defaults to ``tls=starttls`` and port 587 (port 25 with
  ``tls=none``, 465 with ``tls=ssl``); ``smtps://`` means implicit TLS
  (``tls=ssl``) on port 465.
- User and password are optional and percent-encoded (``p%40ss`` for
  ``p@ss``); without a user there is no AUTH.
- ``tls=none`` sends in clear text: fine for a relay on a private network,
  but credentials are only sent in clear to a loopback host.
- ``timeout`` is in seconds (default 10).

Recipients and bodies are personal data: they are never logged nor put into
error messages; logs carry only the Message-ID and the template name.
"""

from __future__ import annotations

import email.policy
import ipaddress
import logging
import os
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import current_app, render_template

log = logging.getLogger(__name__)

EXPECTED_FORMAT = (
    "smtp://user:pass@host:port?tls=starttls|ssl|none&timeout=10 "
    "(or smtps://user:pass@host:port for implicit TLS)"
)
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT = 10.0
LONG_LINES = email.policy.default.clone(max_line_length=998)


class MailError(RuntimeError):
    """A message could not be delivered, or ``SMTP_URL`` is invalid."""


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed ``SMTP_URL``; ``repr`` hides the password."""

    host: str
    port: int
    tls: str
    timeout: float
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, tls={self.tls!r}, "
            f"timeout={self.timeout}, user={self.user!r})"
        )


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse ``SMTP_URL`` (format in the module docstring); raise ``MailError`` if invalid."""

    def invalid(reason: str) -> MailError:
        # The URL itself is never echoed: it may carry the password.
        return MailError(f"SMTP_URL is invalid: {reason}. Expected {EXPECTED_FORMAT}.")

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise invalid("the port must be a number from 1 to 65535") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise invalid(f"the scheme must be smtp or smtps, not {parts.scheme or 'missing'!r}")
    if not parts.hostname:
        raise invalid("the host is missing")
    if parts.path not in ("", "/") or parts.fragment:
        raise invalid("there must be no path after the host")

    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(params) - {"tls", "timeout"})
    if unknown:
        raise invalid(f"unknown parameter {unknown[0]!r}")
    tls = params.get("tls", "ssl" if parts.scheme == "smtps" else "starttls").lower()
    if tls not in TLS_MODES:
        raise invalid(f"tls must be one of {', '.join(TLS_MODES)}")
    if parts.scheme == "smtps" and tls != "ssl":
        raise invalid("smtps:// always uses implicit TLS; use smtp:// for starttls or none")
    try:
        timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 600:
        raise invalid("timeout must be a number of seconds between 0 and 600")

    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if user and tls == "none" and not _is_loopback(parts.hostname):
        raise invalid("credentials are only sent without TLS to a loopback host")
    return SmtpSettings(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[tls],
        tls=tls,
        timeout=timeout,
        user=user,
        password=password,
    )


def render_message(
    template: str,
    *,
    to: str,
    subject: str,
    headers: Mapping[str, str] | None = None,
    **context: object,
) -> EmailMessage:
    """Render ``<template>.txt`` and ``.html`` into a multipart/alternative message.

    ``template`` is a path under a templates folder (``"orders/email/shipped"``: a
    domain keeps its emails beside its pages) or a bare name, which means
    ``mail/<name>``. Needs an app context. ``subject`` is passed to the templates as well.
    ``headers`` are extra header fields (``List-Unsubscribe`` of a newsletter…).
    """
    config = current_app.config
    domain = config.get("BASE_DOMAIN") or "localhost"
    path = template if "/" in template else f"mail/{template}"
    text = render_template(f"{path}.txt", subject=subject, **context)
    html = render_template(f"{path}.html", subject=subject, **context)

    # Extra headers hold long URLs (List-Unsubscribe): folding at 78 columns would turn such
    # a value into RFC 2047 encoded words that mail clients do not read as a URL; RFC 5322
    # allows lines up to 998 characters.
    message = EmailMessage(policy=LONG_LINES if headers else email.policy.default)
    message["From"] = config.get("MAIL_FROM") or formataddr(
        (config.get("MALL_NAME", "Mall"), f"no-reply@{domain}")
    )
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    log.debug("mail rendered: template=%s message_id=%s", template, message["Message-ID"])
    return message


def deliver(message: EmailMessage) -> str:
    """Send ``message`` through ``SMTP_URL``, or write it to the outbox when unset.

    Returns the Message-ID (SMTP) or the path of the ``.eml`` file (outbox).
    Raises ``MailError`` on failure, without the recipient or password in it.
    """
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(domain=current_app.config.get("BASE_DOMAIN"))
    url = current_app.config.get("SMTP_URL")
    if url:
        return _send_smtp(message, parse_smtp_url(url))
    return str(_write_outbox(message))


def _write_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["INSTANCE_PATH"]) / "outbox"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        # 0600: the file holds personal data.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(message.as_bytes(policy=message.policy))
    except OSError as exc:
        raise MailError(f"could not write to the outbox {outbox}: {exc.strerror}") from None
    log.info("mail written to outbox: message_id=%s file=%s", message["Message-ID"], path.name)
    return path


def _send_smtp(message: EmailMessage, settings: SmtpSettings) -> str:
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    try:
        if settings.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.tls == "starttls":
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
        finally:
            _close(client)
    except smtplib.SMTPException as exc:
        # Only the type and code: server replies and smtplib's exceptions may
        # quote the recipient, and chaining would put them into the logs.
        code = getattr(exc, "smtp_code", None)
        detail = f"{type(exc).__name__}{f' {code}' if code else ''}"
        raise MailError(f"SMTP delivery through {where} failed: {detail}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise MailError(f"SMTP delivery through {where} failed: {reason}") from None
    log.info("mail sent: message_id=%s via %s", message["Message-ID"], where)
    return str(message["Message-ID"])


def _close(client: smtplib.SMTP) -> None:
    # The message is accepted once send_message returns; a failing QUIT must
    # not turn into an error that would make a job send it again.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
