"""`pyrunlog devdb start | status | stop | env`: a local database to develop against."""

from __future__ import annotations

import click

from pyrunlog import devdb as devdb_module
from pyrunlog.devdb import LOGINS, DevDb
from pyrunlog.localpg import LocalPostgresError


@click.group("devdb")
def devdb() -> None:
    """A local PostgreSQL with pg_cron, migrated, kept until `pyrunlog devdb stop`.

    Its state lives in $PYRUNLOG_DEVDB_DIR, else $XDG_STATE_HOME/pyrunlog/devdb,
    else ~/.local/state/pyrunlog/devdb.
    """


def _describe(found: DevDb) -> None:
    click.echo(f"  cluster {found.cluster.base}, port {found.cluster.port}")
    logins = ", ".join(f"{login} (runlog_{who})" for who, login in LOGINS.items())
    click.echo(f"  logins {logins}")
    click.echo('Run this in your shell, or: eval "$(pyrunlog devdb env)"')
    for line in found.exports():
        click.echo(line)


@devdb.command("start")
def start() -> None:
    """Start it (create and migrate it the first time) and print its DSNs."""
    try:
        found, already = devdb_module.start()
    except LocalPostgresError as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    click.echo("devdb already running:" if already else "devdb started (schema migrated):")
    _describe(found)


@devdb.command("status")
def status() -> None:
    """Say whether it is running (exit status 1 if not), with its DSNs."""
    found = devdb_module.status()
    if found is None:
        click.echo("devdb is not running (start it with: pyrunlog devdb start)")
        raise SystemExit(1)
    click.echo("devdb is running:")
    _describe(found)


@devdb.command("env")
def env() -> None:
    """Print only the export lines, for eval "$(pyrunlog devdb env)"."""
    found = devdb_module.status()
    if found is None:
        raise click.ClickException("devdb is not running (start it with: pyrunlog devdb start)")
    for line in found.exports():
        click.echo(line)


@devdb.command("stop")
def stop() -> None:
    """Stop it and delete its data."""
    if devdb_module.stop():
        click.echo("devdb stopped and removed")
    else:
        click.echo("devdb was not running")


COMMANDS = [devdb]
