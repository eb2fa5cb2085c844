"""Account pages: register, verify, sign in and out, reset and change passwords, profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mall.accounts import forms, services
from mall.accounts.account_links import account_links
from mall.accounts.auth import begin_browser_session, end_browser_session
from mall.accounts.models import User
from mall.accounts.passwords import WeakPassword
from mall.accounts.tokens import TokenInvalid
from mall.extensions import db, limiter
from tenants.keys import reveal

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")

LOGIN_IP_LIMIT = "20 per minute"
LOGIN_ACCOUNT_LIMIT = "5 per 15 minutes"
RESET_IP_LIMIT = "5 per minute"
RESET_ACCOUNT_LIMIT = "3 per hour"
GENERIC_LOGIN_ERROR = "The email or password is not correct."


def _account_key() -> str:
    """Rate-limit key for the account named in the form: its blind index, never the email."""
    email = (request.form.get("email") or "").strip()
    if "@" not in email or len(email) > 254:
        return "account:invalid"
    return "account:" + User.email.lookup(email).hex()


def _login_failed(response: object) -> bool:
    return bool(g.get("login_failed"))


def _registration_sent(response: object) -> bool:
    return bool(g.get("registration_sent"))


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(LOGIN_IP_LIMIT, methods=["POST"])
@limiter.limit(
    RESET_ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_registration_sent
)
def register() -> ResponseReturnValue:
    """Create an account; the same answer (and an email) whether or not the email is taken."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(form.email.data, form.password.data, name=form.name.data)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            g.registration_sent = True  # counts towards the address's limit: it gets an email
            return render_template("accounts/check_inbox.html", reason="register")
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


@bp.get("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    """Confirm an email address from the emailed link (safe to click twice)."""
    try:
        services.verify_email(token)
    except (TokenInvalid, services.AccountError) as error:
        db.session.rollback()
        return render_template("accounts/link_invalid.html", message=str(error)), 400
    db.session.commit()
    flash("Thank you: your email address is confirmed.", "success")
    return redirect(
        url_for("accounts.account" if current_user.is_authenticated else "accounts.login")
    )


@bp.post("/verify/resend")
@login_required
@limiter.limit(RESET_IP_LIMIT)
def resend_verification() -> ResponseReturnValue:
    """Send the verification link again."""
    form = forms.ResendForm()
    if form.validate_on_submit():
        services.send_verification(current_user)
        db.session.commit()
        flash("We sent you a new confirmation link.", "info")
    return redirect(url_for("accounts.account"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_IP_LIMIT, methods=["POST"])
@limiter.limit(
    LOGIN_ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_login_failed
)
def login() -> ResponseReturnValue:
    """Sign in; a wrong email and a wrong password get the same message."""
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("accounts.account")))
    form = forms.LoginForm()
    if form.validate_on_submit():
        remember = bool(form.remember.data)
        user = services.sign_in(
            form.email.data, form.password.data, ip_address=request.remote_addr, remember=remember
        )
        db.session.commit()  # the attempt is recorded either way
        if user is None:
            g.login_failed = True
            form.password.errors.append(GENERIC_LOGIN_ERROR)
        elif not user.is_verified:
            return render_template("accounts/check_inbox.html", reason="unverified"), 403
        else:
            # A fresh session (and CSRF token) at sign-in; the guest cart joins the account's.
            begin_browser_session(user, remember=remember)
            db.session.commit()
            return redirect(_safe_next(url_for("accounts.account")))
    status = 400 if form.errors and not g.get("login_failed") else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out this device, or every device with ``everywhere`` (POST with CSRF, so a link
    elsewhere cannot sign anyone out). The session ends on the server; the cart stays."""
    form = forms.SignOutForm()
    if form.validate_on_submit():
        everywhere = bool(form.everywhere.data)
        if current_user.is_authenticated:
            services.sign_out(current_user._get_current_object(), everywhere=everywhere)
            db.session.commit()
        end_browser_session()
        flash(
            "You are signed out on every device." if everywhere else "You are signed out.", "info"
        )
    return redirect(url_for("pages.home"), 303)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_IP_LIMIT, methods=["POST"])
@limiter.limit(RESET_ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a reset link; the answer never says whether the email is registered."""
    form = forms.ForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/check_inbox.html", reason="reset")
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_IP_LIMIT, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from an emailed link (single use, expires in two hours)."""
    try:
        services.user_for_reset_token(token)
    except TokenInvalid as error:
        return render_template("accounts/link_invalid.html", message=str(error)), 400
    form = forms.ResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            end_browser_session()  # every session of the account ended with the reset
            flash("Your password is changed. Please sign in with it.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200


@bp.get("/")
@login_required
def account() -> ResponseReturnValue:
    """The account page: profile, email, password."""
    return _account_page_with(status=200)


def _account_page_with(status: int = 400, **forms_in_error: object) -> ResponseReturnValue:
    context = {
        "profile": forms.ProfileForm(
            name=reveal(current_user, "name"), phone=reveal(current_user, "phone")
        ),
        "email_form": forms.ChangeEmailForm(),
        "password_form": forms.ChangePasswordForm(),
        "resend_form": forms.ResendForm(),
        "sign_out_form": forms.SignOutForm(),
        "devices": services.signed_in_devices(current_user),
        "more_links": account_links(),
        **forms_in_error,
    }
    return render_template("accounts/account.html", **context), status


@bp.post("/profile")
@login_required
def update_profile() -> ResponseReturnValue:
    """Change name and phone."""
    form = forms.ProfileForm()
    if not form.validate_on_submit():
        return _account_page_with(profile=form)
    services.update_profile(current_user, name=form.name.data, phone=form.phone.data)
    db.session.commit()
    flash("Your details are saved.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/email")
@login_required
@limiter.limit(RESET_IP_LIMIT)
def change_email() -> ResponseReturnValue:
    """Ask to change the email (password required); it switches once confirmed."""
    form = forms.ChangeEmailForm()
    if not form.validate_on_submit():
        return _account_page_with(email_form=form)
    try:
        services.change_email(
            current_user, password=form.password.data, new_email=form.new_email.data
        )
    except services.AccountError as error:
        form.password.errors.append(str(error))
        return _account_page_with(email_form=form)
    db.session.commit()
    flash(
        "We sent a confirmation link to the new address. It takes effect once you click it.", "info"
    )
    return redirect(url_for("accounts.account"))


@bp.post("/password")
@login_required
@limiter.limit(RESET_IP_LIMIT)
def change_password() -> ResponseReturnValue:
    """Change the password (current one required); other sessions end."""
    form = forms.ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page_with(password_form=form)
    try:
        services.change_password(
            current_user,
            current_password=form.current_password.data,
            new_password=form.password.data,
        )
    except (services.AccountError, WeakPassword) as error:
        form.password.errors.append(str(error))
        return _account_page_with(password_form=form)
    db.session.commit()
    # This device's session continues (a fresh Flask session for it; the cart is the account's).
    begin_browser_session(current_user._get_current_object(), remember=False)
    db.session.commit()
    flash("Your password is changed. Other devices are signed out.", "success")
    return redirect(url_for("accounts.account"))
