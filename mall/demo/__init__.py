"""The demo mall: people, shops, history and catalog that ``flask mall seed-demo`` creates.

It composes every domain (it is the one package besides ``create_app`` that may),
so it comes last in ``mall.DOMAINS``. The catalog's content is data
(``catalog.json``); the code beside it turns that into shops' products.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app

SeedStep = Callable[[], list[str]]


def init_app(app: Flask) -> None:
    """Add ``flask mall seed-demo``."""
    from mall.cli import add_commands

    add_commands(seed_demo_command)


def add_seed_step(app: Flask, func: SeedStep) -> None:
    """Let a higher layer (which ``mall.demo`` may not import) add its part of the demo:
    ``func()`` runs after the rest of ``seed_demo``, must be idempotent, and returns
    report lines."""
    app.extensions.setdefault("mall.demo.seed_steps", []).append(func)


def run_seed_steps() -> list[str]:
    """Run the higher layers' demo steps in the order they were added; their report lines."""
    lines: list[str] = []
    for step in current_app.extensions.get("mall.demo.seed_steps", []):
        lines += step()
    return lines


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Fill the database with the demo mall (safe to run again)."""
    from mall.demo.people import seed_demo
    from mall.extensions import db

    report = seed_demo()
    db.session.commit()
    for line in report:
        click.echo(line)
