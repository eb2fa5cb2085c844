"""Accounts through HTTP: register, verify, sign in, reset, change email and password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.accounts.models import LoginEvent, User
from mall.accounts.services import find_user_by_email
from mall.extensions import db, limiter
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mail import clear_outbox, link_in, sent, sent_to, text_of

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
def fresh_limits_and_outbox(app):
    limiter.reset()
    clear_outbox(app)
    yield
    limiter.reset()


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def register(client, email="ada@example.com", password=DEFAULT_PASSWORD, name="Ada Lovelace"):
    return client.post(
        "/account/register",
        data={"name": name, "email": email, "password": password, "confirm": password},
    )


def login(client, email, password=DEFAULT_PASSWORD, remember=False, **kwargs):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/account/login", data=data, **kwargs)


def signed_in_as(client) -> str | None:
    response = client.get("/account/")
    return None if response.status_code != 200 else response.get_data(as_text=True)


# ---------------------------------------------------------------- register and verify


def test_register_sends_a_verification_link_that_verifies(app, client, no_csrf):
    response = register(client)
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    user = find_user_by_email("ADA@example.com")
    assert user is not None and not user.is_verified and user.name == "Ada Lovelace"
    [message] = sent_to(app, "ada@example.com")
    link = link_in(message, "/account/verify/")
    assert client.get(link).status_code == 302
    assert client.get(link).status_code == 302  # a second click changes nothing
    db.session.expire_all()
    assert find_user_by_email("ada@example.com").is_verified


def test_register_with_a_taken_email_says_the_same_and_creates_nothing(
    app, client, no_csrf, make_user
):
    make_user("taken@example.com")
    response = register(client, email="Taken@Example.com")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    # The owner hears that someone tried, with the way in; no verification link.
    [message] = sent_to(app, "taken@example.com")
    assert "already have an account" in text_of(message)
    assert link_in(message, "/account/login") and link_in(message, "/account/forgot")
    assert "/account/verify/" not in text_of(message)


def test_registering_again_before_confirming_sends_a_new_link(app, client, no_csrf, make_user):
    make_user("new@example.com", verified=False)
    response = register(client, email="new@example.com")
    assert "Check your inbox" in response.get_data(as_text=True)
    [message] = sent_to(app, "new@example.com")
    assert client.get(link_in(message, "/account/verify/")).status_code == 302
    db.session.expire_all()
    assert find_user_by_email("new@example.com").is_verified


@pytest.mark.parametrize("email", ["taken@example.com", "new@example.com"])
def test_register_checks_the_password_rules_first_for_everyone(client, no_csrf, make_user, email):
    make_user("taken@example.com")
    response = register(client, email=email, password="abababababab")
    assert response.status_code == 400
    assert "Use a less repetitive password." in response.get_data(as_text=True)


@pytest.fixture
def work_done(app, count_queries):
    """``with work_done() as work: …``: SQL statements, jobs and emails rendered meanwhile."""
    from contextlib import contextmanager

    import mall.accounts.jobs as account_jobs
    import mall.jobs

    @contextmanager
    def watching():
        work = {"jobs": [], "rendered": [], "sql": []}
        dispatch, render = mall.jobs.dispatch, account_jobs.render_message

        def dispatching(item):
            work["jobs"].append((item.ref, item.queue, [type(arg) for arg in item.args]))
            dispatch(item)

        def rendering(template, **kwargs):
            work["rendered"].append(template)
            return render(template, **kwargs)

        with pytest.MonkeyPatch.context() as patch, count_queries() as counter:
            patch.setattr(mall.jobs, "dispatch", dispatching)
            patch.setattr(account_jobs, "render_message", rendering)
            yield work
        work["sql"] = counter.statements

    return watching


def test_register_does_the_same_work_for_a_taken_and_a_new_email(
    client, no_csrf, make_user, work_done
):
    make_user("taken@example.com")
    with work_done() as taken:
        register(client, email="taken@example.com")
    with work_done() as new:
        register(client, email="new@example.com")
    assert (
        taken["jobs"]
        == new["jobs"]
        == [("mall.accounts.jobs:send_registration_email", "mail", [str])]
    )
    assert taken["rendered"] != [] and len(taken["rendered"]) == len(new["rendered"])


def test_registrations_for_one_address_are_rate_limited(app, client, no_csrf):
    """Each registration emails the address, so one address gets few of them."""
    assert register(client, email="ada@example.com", password="short").status_code == 400
    codes = [register(client, email="ADA@example.com").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(sent(app)) == 3  # a link, then (still not confirmed) a new link twice
    assert register(client, email="bob@example.com").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password": "short", "confirm": "short"}, "Use 10 to 72 characters."),
        ({"confirm": "something else entirely"}, "The passwords do not match."),
        ({"name": ""}, "Enter your name."),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "less repetitive"),
    ],
)
def test_register_bad_input_is_a_400_with_a_message(client, no_csrf, data, message):
    form = {"name": "Ada", "email": "ada@example.com", "password": DEFAULT_PASSWORD}
    form["confirm"] = form["password"]
    form.update(data)
    response = client.post("/account/register", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Ada"' in page or data.get("name") == ""  # what was typed is kept


def test_tampered_verification_link_is_a_clear_400(client):
    response = client.get("/account/verify/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


# ---------------------------------------------------------------- sign in


def test_sign_in_and_out(client, make_user, no_csrf):
    make_user("ada@example.com", name="Ada")
    response = login(client, "ADA@example.com")
    assert response.status_code == 302
    assert "Signed in as <strong>ada@example.com</strong>" in signed_in_as(client)
    assert client.post("/account/logout").status_code == 303
    assert signed_in_as(client) is None


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user, no_csrf, email):
    make_user("ada@example.com")
    response = login(client, email, password="wrong password!")
    assert response.status_code == 200
    assert "The email or password is not correct." in response.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_failed_and_good_attempts_are_recorded_with_the_ip_sealed(client, make_user, no_csrf):
    user = make_user("ada@example.com")
    login(client, "ada@example.com", password="wrong password!")
    login(client, "ada@example.com")
    events = db.session.scalars(
        sa.select(LoginEvent).where(LoginEvent.user_id == user.id).order_by(LoginEvent.created_at)
    ).all()
    assert [e.succeeded for e in events] == [False, True]
    assert events[0].ip_address == "127.0.0.1"
    assert b"127.0.0.1" not in events[0].ip_ct


def test_unverified_account_cannot_sign_in_and_gets_a_new_link(app, client, make_user, no_csrf):
    make_user("new@example.com", verified=False)
    response = login(client, "new@example.com")
    assert response.status_code == 403
    assert "confirm your email" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert len(sent_to(app, "new@example.com")) == 1


def test_safe_next_only(client, make_user, no_csrf):
    make_user("ada@example.com")
    response = client.post(
        "/account/login?next=https://evil.example/",
        data={"email": "ada@example.com", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/account/"
    client.post("/account/logout")
    response = client.post(
        "/account/login?next=/privacy",
        data={"email": "ada@example.com", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/privacy"


def test_csrf_is_required(client, make_user):
    make_user("ada@example.com")
    response = login(client, "ada@example.com")
    assert response.status_code == 400
    assert signed_in_as(client) is None


def test_repeated_failures_for_one_account_are_rate_limited(client, make_user, no_csrf):
    make_user("ada@example.com")
    for _ in range(5):
        assert login(client, "ada@example.com", password="wrong password!").status_code == 200
    response = login(client, "ada@example.com")  # even the right password waits now
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert login(client, "other@example.com", password="x").status_code == 200  # others are fine


def test_many_attempts_from_one_ip_are_rate_limited(client, no_csrf):
    codes = [login(client, f"user{n}@example.com", password="x").status_code for n in range(21)]
    assert codes[:20] == [200] * 20
    assert codes[20] == 429


# ---------------------------------------------------------------- password reset


def test_password_reset_link_works_once(app, client, make_user, no_csrf):
    make_user("ada@example.com")
    response = client.post("/account/forgot", data={"email": "ada@example.com"})
    assert "Check your inbox" in response.get_data(as_text=True)
    [message] = sent_to(app, "ada@example.com")
    link = link_in(message, "/account/reset/")
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(link, data=form).status_code == 302
    assert login(client, "ada@example.com", password=NEW_PASSWORD).status_code == 302
    reused = client.post(
        link, data={"password": "yet another phrase", "confirm": "yet another phrase"}
    )
    assert reused.status_code == 400
    assert "already used" in reused.get_data(as_text=True)


def test_reset_for_an_unknown_email_says_the_same_and_sends_nothing(app, client, no_csrf):
    response = client.post("/account/forgot", data={"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    assert sent_to(app, "nobody@example.com") == []


def test_forgot_does_the_same_work_for_a_known_and_an_unknown_email(
    client, no_csrf, make_user, work_done
):
    make_user("ada@example.com")
    with work_done() as known:
        known_page = client.post("/account/forgot", data={"email": "ada@example.com"})
    with work_done() as unknown:
        unknown_page = client.post("/account/forgot", data={"email": "nobody@example.com"})
    assert known_page.get_data() == unknown_page.get_data()
    assert (
        known["jobs"]
        == unknown["jobs"]
        == [("mall.accounts.jobs:send_password_reset_email", "mail", [str])]
    )
    assert known["rendered"] == unknown["rendered"] == ["reset_password"]
    assert known["sql"] == unknown["sql"]


def test_expired_reset_link_is_refused(app, client, make_user, no_csrf, monkeypatch):
    make_user("ada@example.com")
    client.post("/account/forgot", data={"email": "ada@example.com"})
    link = link_in(sent_to(app, "ada@example.com")[0], "/account/reset/")
    monkeypatch.setattr("mall.accounts.services.RESET_MAX_AGE", -1)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_reset_requests_are_rate_limited_per_account(client, make_user, no_csrf):
    make_user("ada@example.com")
    codes = [
        client.post("/account/forgot", data={"email": "ada@example.com"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


# ---------------------------------------------------------------- change email and password


def test_change_password_needs_the_current_one_and_ends_other_sessions(
    app, client, make_user, no_csrf
):
    make_user("ada@example.com")
    login(client, "ada@example.com")
    other_device = app.test_client()
    login(other_device, "ada@example.com")
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400
    assert "current password is not correct" in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 302
    assert signed_in_as(client) is not None  # this session continues
    assert signed_in_as(other_device) is None  # the other device is signed out


def test_change_email_switches_after_confirmation(app, client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com")
    response = client.post(
        "/account/email", data={"new_email": "ada@newmail.example", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert find_user_by_email("ada@newmail.example") is None  # not yet
    link = link_in(sent_to(app, "ada@newmail.example")[0], "/account/verify/")
    client.get(link)
    db.session.expire_all()
    assert find_user_by_email("ada@newmail.example") is not None
    assert find_user_by_email("ada@example.com") is None


def test_change_email_needs_the_password(client, make_user, no_csrf):
    make_user("ada@example.com")
    login(client, "ada@example.com")
    response = client.post(
        "/account/email", data={"new_email": "x@example.com", "password": "nope"}
    )
    assert response.status_code == 400
    assert "password is not correct" in response.get_data(as_text=True)


def test_profile_update(client, make_user, no_csrf):
    make_user("ada@example.com", name="Ada")
    login(client, "ada@example.com")
    client.post("/account/profile", data={"name": "Ada King", "phone": "+44 20 7946 0001"})
    page = signed_in_as(client)
    assert 'value="Ada King"' in page and "+44 20 7946 0001" in page


# ---------------------------------------------------------------- operators


def test_create_operator_from_the_cli(app, database):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["mall", "create-operator", "root@example.com", "--password-stdin"],
        input=DEFAULT_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = find_user_by_email("root@example.com")
        assert user.is_operator and user.is_verified
    again = runner.invoke(args=["mall", "create-operator", "root@example.com"])
    assert again.exit_code == 0 and "operator now" in again.output


def test_create_operator_refuses_a_weak_password(app, database):
    result = app.test_cli_runner().invoke(
        args=["mall", "create-operator", "x@example.com", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0
    assert "at least 10" in result.output
