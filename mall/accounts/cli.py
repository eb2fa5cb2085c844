"""``flask --app wsgi mall create-operator EMAIL``."""

from __future__ import annotations

import sys

import click

from mall.accounts.passwords import WeakPassword
from mall.accounts.services import AccountError, create_user, find_user_by_email
from mall.db import utcnow
from mall.extensions import db


@click.command("create-operator")
@click.argument("email")
@click.option("--name", default="Operator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_operator_command(email: str, name: str, password_stdin: bool) -> None:
    """Create a platform operator (or make an existing account one)."""
    existing = find_user_by_email(email)
    if existing is not None:
        if not existing.is_operator:
            existing.is_operator = True
            existing.email_verified_at = existing.email_verified_at or utcnow()
            db.session.commit()
        click.echo("That account is an operator now.")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        create_user(email, password, name=name, verified=True, operator=True)
    except (AccountError, WeakPassword) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo("Operator created. Sign in at /account/login.")
