"""`pyrunlog devdb start | status | stop | env`: a local database to develop against."""

from __future__ import annotations

import click

from pyrunlog import devdb as devdb_module
from pyrunlog.devdb import LOGINS, DevDb
from pyrunlog.localpg import LocalPostgresError


@click.group("devdb")
def devdb() -> None:
    """A local PostgreSQL with pg_cron, migrated, kept until `pyrunlog devdb stop`.

    Its state (devdb.json) lives in $PYRUNLOG_DEVDB_DIR, else
    $XDG_STATE_HOME/pyrunlog/devdb, else ~/.local/state/pyrunlog/devdb; the
    cluster (data, socket, log) in its subdirectory `cluster`. As root the
    server runs as OS user postgres: if postgres cannot enter the state
    directory (root's home is closed to it), the cluster lives in a new
    /tmp/pyrunlog-pg-* directory instead, and start and status say so.
    """


def _describe(found: DevDb) -> None:
    click.echo(f"  cluster {found.cluster.base}, port {found.cluster.port}")
    here = devdb_module.state_dir()
    base = found.cluster.base
    if base is not None and not base.is_relative_to(here):
        user = found.cluster.os_user
        blocked = devdb_module.blocked_for_server(here, user)
        reason = f"{blocked} is closed to it" if blocked else "it could not enter it back then"
        click.echo(
            f"  (not under the state directory {here}: the server runs as OS user {user}"
            f" and {reason}; set PYRUNLOG_DEVDB_DIR to a directory {user} can enter"
            " to keep the cluster there)"
        )
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
