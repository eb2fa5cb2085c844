"""The demo mall: people, shops, history and catalog that ``flask mall seed-demo`` creates.

It composes every domain (it is the one package besides ``create_app`` that may),
so it comes last in ``mall.DOMAINS``. The catalog's content is data
(``catalog.json``); the code beside it turns that into shops' products.
"""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Add ``flask mall seed-demo``."""
    from mall.cli import add_commands

    add_commands(seed_demo_command)


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Fill the database with the demo mall (safe to run again)."""
    from mall.demo.people import seed_demo
    from mall.extensions import db

    report = seed_demo()
    db.session.commit()
    for line in report:
        click.echo(line)
