"""The command group and the console-script entry point."""

from __future__ import annotations

import os
import sys

import click

from pyrunlog.cli import devdb, logins, observability, operations, retries, runs, schedules


@click.group()
@click.version_option(package_name="pyrunlog")
def cli() -> None:
    """pyrunlog: a Postgres-native run log and scheduler for data syncs.

    The connection comes from --dsn, $PYRUNLOG_DSN or the libpq PG* variables.
    """


for module in (devdb, operations, runs, schedules, retries, logins, observability):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PGAPPNAME", "pyrunlog")
    sys.exit(cli(standalone_mode=True))
