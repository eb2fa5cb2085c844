"""``flask mall affiliates …``: the one command group every part of the program adds to."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from mall.cli import add_commands, mall_cli


def affiliates_group() -> click.Group:
    """The ``affiliates`` group under ``flask mall``, made by the first part that asks."""
    group = mall_cli.commands.get("affiliates")
    if not isinstance(group, click.Group):
        group = AppGroup("affiliates", help="The affiliate program.")
        add_commands(group)
    return group


def add_command(command: click.Command) -> None:
    """Put ``command`` in the group once (wiring twice changes nothing)."""
    group = affiliates_group()
    if command.name not in group.commands:
        group.add_command(command)
