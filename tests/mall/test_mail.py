"""Email transport: templates render both parts, delivery to the outbox and through SMTP."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mall.mail import MailError, deliver, parse_smtp_url, render_message

RECIPIENT = "ada@example.org"

TEMPLATES = {
    "verify_email": {"name": "Ada", "verify_url": "https://mall.test/verify/tok-1"},
    "welcome": {
        "name": "Ada",
        "shop_name": "Green Thumb",
        "shop_url": "https://green-thumb.mall.test/",
        "pending": True,
    },
    "account_exists": {
        "name": "Ada",
        "login_url": "https://mall.test/account/login",
        "forgot_url": "https://mall.test/account/forgot",
    },
    "reset_password": {
        "name": "Ada",
        "reset_url": "https://mall.test/reset/tok-2",
        "expires_hours": 2,
    },
    "staff_invitation": {
        "shop_name": "Green Thumb",
        "inviter_name": "Grace",
        "role": "manager",
        "accept_url": "https://mall.test/invite/tok-3",
        "expires_days": 7,
    },
    "shop_approved": {
        "name": "Ada",
        "shop_name": "Green Thumb",
        "shop_url": "https://green-thumb.mall.test/",
    },
    "shop_suspended": {"name": "Ada", "shop_name": "Green Thumb", "reason": "Unpaid fees"},
    "shop_closed": {"name": "Ada", "shop_name": "Green Thumb", "shred_date": dt.date(2031, 3, 1)},
}


@pytest.fixture
def mail_ctx(app_ctx, monkeypatch, tmp_path):
    """An app context with the outbox in ``tmp_path`` and no SMTP server."""
    monkeypatch.setitem(app_ctx.config, "INSTANCE_PATH", tmp_path)
    monkeypatch.setitem(app_ctx.config, "SMTP_URL", None)
    return app_ctx


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def welcome(**overrides):
    context = {**TEMPLATES["welcome"], **overrides}
    return render_message("welcome", to=RECIPIENT, subject="Welcome to Mall", **context)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- rendering


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_both_parts_with_context_and_footer(mail_ctx, template):
    context = TEMPLATES[template]
    message = render_message(template, to=RECIPIENT, subject="Hello", **context)

    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == RECIPIENT
    assert message["Subject"] == "Hello"
    assert message["From"] == "Mall <no-reply@mall.test>"
    assert message["Date"]
    assert message["Message-ID"].endswith("@mall.test>")
    text, html = parts(message)
    footer = f"This email was sent by {mail_ctx.config['MALL_NAME']}."
    for part in (text, html):
        for value in context.values():
            if not isinstance(value, bool):
                assert str(value) in part, (template, value)
        assert footer in part
    assert text.rstrip().endswith(footer)
    assert "<script" not in html
    assert "<img" not in html


def test_welcome_says_whether_the_shop_waits_for_approval(mail_ctx):
    pending_text, pending_html = parts(welcome(pending=True))
    open_text, open_html = parts(welcome(pending=False))
    assert "approved" in pending_text and "approved" in pending_html
    assert "open to customers now" in open_text and "open to customers now" in open_html
    assert "approved" not in open_text


def test_html_is_escaped_and_text_is_verbatim(mail_ctx):
    message = welcome(name="Ada <b>&", shop_url="https://s.mall.test/?a=1&b=2")
    text, html = parts(message)
    assert "Hello Ada <b>&," in text
    assert "https://s.mall.test/?a=1&b=2" in text
    assert "Ada &lt;b&gt;&amp;" in html
    assert "Ada <b>" not in html
    assert 'href="https://s.mall.test/?a=1&amp;b=2"' in html


def test_mail_from_setting_is_used(mail_ctx, monkeypatch):
    monkeypatch.setitem(mail_ctx.config, "MAIL_FROM", "Shop Help <help@mall.test>")
    assert welcome()["From"] == "Shop Help <help@mall.test>"


def test_a_domain_renders_its_own_template_path(mail_ctx):
    due = dt.datetime(2031, 3, 1, tzinfo=dt.UTC)
    context = {"shop_name": "Green Thumb", "number": "GT-1001", "amount": "$12.00"}
    message = render_message(
        "ledger/email/dispute_opened",
        to=RECIPIENT,
        subject="Dispute",
        reason="fraudulent",
        due_by=due,
        share_url="https://green-thumb.mall.test/admin/disputes/1",
        **context,
    )
    text, html = parts(message)
    for part in (text, html):
        assert all(value in part for value in context.values())
        assert "https://green-thumb.mall.test/admin/disputes/1" in part
    footer = f"This email was sent by {mail_ctx.config['MALL_NAME']}."
    assert footer in text and footer in html


def test_a_subject_with_a_line_break_is_refused(mail_ctx):
    with pytest.raises(ValueError):
        render_message(
            "verify_email",
            to=RECIPIENT,
            subject="Hi\nBcc: x@evil.test",
            **TEMPLATES["verify_email"],
        )


# ---------------------------------------------------------------- outbox


def test_outbox_delivery_writes_a_parseable_eml_with_both_parts(mail_ctx, tmp_path, caplog):
    message = welcome(name="Ada Lovelace")
    with caplog.at_level(logging.DEBUG, logger="mall.mail"):
        path = Path(deliver(message))

    assert path.parent == tmp_path / "outbox"
    assert path.suffix == ".eml"
    assert path.stat().st_mode & 0o077 == 0
    stored = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert stored["To"] == RECIPIENT
    assert stored["Subject"] == "Welcome to Mall"
    assert stored["Message-ID"] == message["Message-ID"]
    text, html = parts(stored)
    assert "Hello Ada Lovelace," in text
    assert "<p>Hello Ada Lovelace,</p>" in html
    assert message["Message-ID"] in caplog.text
    assert RECIPIENT not in caplog.text
    assert "Lovelace" not in caplog.text


def test_outbox_files_do_not_collide(mail_ctx):
    paths = {deliver(welcome()) for _ in range(5)}
    assert len(paths) == 5


# ---------------------------------------------------------------- SMTP URL


def test_smtp_url_defaults_and_percent_decoding():
    plain = parse_smtp_url("smtp://mail.example.com")
    assert (plain.host, plain.port, plain.tls, plain.timeout) == (
        "mail.example.com",
        587,
        "starttls",
        10,
    )
    assert plain.user is None

    implicit = parse_smtp_url("smtps://u%40x:p%40ss%3A1@mail.example.com?timeout=3")
    assert (implicit.port, implicit.tls, implicit.timeout) == (465, "ssl", 3)
    assert (implicit.user, implicit.password) == ("u@x", "p@ss:1")
    assert "p@ss" not in repr(implicit)

    relay = parse_smtp_url("smtp://relay.internal?tls=none")
    assert (relay.port, relay.tls) == (25, "none")
    assert parse_smtp_url("smtp://u:p@127.0.0.1:2525?tls=none").port == 2525


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x", "scheme must be smtp or smtps"),
        ("smtp://", "host is missing"),
        ("smtp://user:secret@", "host is missing"),
        ("smtp://host:99999", "port"),
        ("smtp://host:abc", "port"),
        ("smtp://host?tls=maybe", "tls must be one of"),
        ("smtps://host?tls=starttls", "implicit TLS"),
        ("smtp://host?timeout=soon", "timeout"),
        ("smtp://host?tsl=none", "unknown parameter 'tsl'"),
        ("smtp://user:secret@mail.example.com?tls=none", "loopback"),
    ],
)
def test_a_bad_smtp_url_raises_a_helpful_mail_error(mail_ctx, monkeypatch, url, reason):
    monkeypatch.setitem(mail_ctx.config, "SMTP_URL", url)
    with pytest.raises(MailError) as error:
        deliver(welcome())
    message = str(error.value)
    assert reason in message
    assert "Expected smtp://user:pass@host:port?tls=starttls|ssl|none" in message
    assert "secret" not in message


# ---------------------------------------------------------------- SMTP delivery


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


class Authenticator:
    def __init__(self, user: str, password: str):
        self.expected = (user.encode(), password.encode())
        self.logins = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.expected
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        # handled=False makes aiosmtpd answer 535 itself on failure.
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server on a free loopback port; yields (collector, port, authenticator)."""
    servers = []

    def start(authenticator=None):
        collector = Collector()
        port = free_port()
        options = (
            {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
        )
        controller = Controller(collector, hostname="127.0.0.1", port=port, **options)
        controller.start()
        servers.append(controller)
        return collector, port

    yield start
    for controller in servers:
        controller.stop()


def test_smtp_delivery_sends_both_parts_to_the_recipient(
    mail_ctx, monkeypatch, smtp_server, tmp_path
):
    collector, port = smtp_server()
    monkeypatch.setitem(mail_ctx.config, "SMTP_URL", f"smtp://127.0.0.1:{port}?tls=none&timeout=5")
    message = welcome()

    assert deliver(message) == message["Message-ID"]

    assert not (tmp_path / "outbox").exists()
    (envelope,) = collector.envelopes
    assert envelope.rcpt_tos == [RECIPIENT]
    assert envelope.mail_from == "no-reply@mall.test"
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Welcome to Mall"
    text, html = parts(received)
    assert "Hello Ada," in text
    assert "<p>Hello Ada,</p>" in html


def test_smtp_login_with_user_and_password(mail_ctx, monkeypatch, smtp_server):
    authenticator = Authenticator("mailer@mall.test", "s3cr%t:pw")
    collector, port = smtp_server(authenticator)
    monkeypatch.setitem(
        mail_ctx.config,
        "SMTP_URL",
        f"smtp://mailer%40mall.test:s3cr%25t%3Apw@127.0.0.1:{port}?tls=none&timeout=5",
    )

    deliver(welcome())

    assert authenticator.logins == ["mailer@mall.test"]
    assert [e.rcpt_tos for e in collector.envelopes] == [[RECIPIENT]]


def test_smtp_wrong_password_raises_without_password_or_recipient(
    mail_ctx, monkeypatch, smtp_server
):
    collector, port = smtp_server(Authenticator("mailer", "right-password"))
    monkeypatch.setitem(
        mail_ctx.config,
        "SMTP_URL",
        f"smtp://mailer:wrong-password@127.0.0.1:{port}?tls=none&timeout=5",
    )

    with pytest.raises(MailError) as error:
        deliver(welcome())

    message = str(error.value)
    assert f"127.0.0.1:{port}" in message
    assert "SMTPAuthenticationError 535" in message
    assert "wrong-password" not in message
    assert RECIPIENT not in message
    assert error.value.__suppress_context__  # the smtplib exception stays out of logs
    assert collector.envelopes == []


def test_starttls_refused_by_the_server_raises_mail_error(mail_ctx, monkeypatch, smtp_server):
    _, port = smtp_server()
    monkeypatch.setitem(mail_ctx.config, "SMTP_URL", f"smtp://127.0.0.1:{port}?timeout=5")
    with pytest.raises(MailError, match="SMTPNotSupportedError"):
        deliver(welcome())


def test_connection_refused_raises_mail_error(mail_ctx, monkeypatch):
    port = free_port()
    monkeypatch.setitem(mail_ctx.config, "SMTP_URL", f"smtp://127.0.0.1:{port}?tls=none&timeout=2")
    with pytest.raises(MailError) as error:
        deliver(welcome())
    assert f"127.0.0.1:{port}" in str(error.value)
    assert "refused" in str(error.value).lower()
    assert RECIPIENT not in str(error.value)


def test_implicit_tls_against_a_plain_server_raises_mail_error(mail_ctx, monkeypatch, smtp_server):
    _, port = smtp_server()
    monkeypatch.setitem(mail_ctx.config, "SMTP_URL", f"smtps://127.0.0.1:{port}?timeout=5")
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        deliver(welcome())
