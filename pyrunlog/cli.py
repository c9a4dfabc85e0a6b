"""The pyrunlog command line: migrate, version, status, history, trigger, demo."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
import psycopg
from rich.console import Console

from pyrunlog.errors import RunLogError
from pyrunlog.migrate import latest_version, migrate
from pyrunlog.repository import RunLog

F = TypeVar("F", bound=Callable[..., Any])

dsn_option = click.option(
    "--dsn",
    envvar="PYRUNLOG_DSN",
    default="",
    show_default=False,
    help="libpq connection string or URI (default: $PYRUNLOG_DSN, then the PG* variables).",
)


def friendly_errors(command: F) -> F:
    """Turn database and pyrunlog errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise click.ClickException(
                f"cannot connect to PostgreSQL: {first} "
                "(check --dsn / PYRUNLOG_DSN and that the server is running)"
            ) from exc
        except (RunLogError, psycopg.Error) as exc:
            raise click.ClickException(str(exc).strip().splitlines()[0]) from exc

    return wrapper  # type: ignore[return-value]


def console() -> Console:
    """A console; when output is not a terminal, wide enough that tables do not wrap."""
    return Console() if sys.stdout.isatty() else Console(width=160)


@click.group()
@click.version_option(package_name="pyrunlog")
def cli() -> None:
    """pyrunlog: a Postgres-native run log and scheduler for data syncs."""


@cli.command("migrate")
@dsn_option
@friendly_errors
def migrate_command(dsn: str) -> None:
    """Apply the schema migrations this package brings (safe to repeat)."""
    applied = migrate(dsn)
    if applied:
        click.echo("applied migrations " + ", ".join(f"{v:04d}" for v in applied))
    else:
        click.echo(f"schema is up to date (version {latest_version():04d})")


@cli.command("version")
@dsn_option
@friendly_errors
def version_command(dsn: str) -> None:
    """Print the package version and the deployed schema version."""
    from pyrunlog import __version__

    with RunLog(dsn) as runlog:
        deployed = runlog.version()
    click.echo(f"pyrunlog {__version__}, schema {deployed} (package brings {latest_version():04d})")


@cli.command("status")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, required=True, help="Organisation id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def status_command(dsn: str, org_id: uuid.UUID, as_json: bool) -> None:
    """The last run per integration of an organisation."""
    from pyrunlog.display import runs_json, runs_table

    with RunLog(dsn) as runlog:
        runs = runlog.last_runs(org_id)
    if as_json:
        click.echo(runs_json(runs))
    else:
        console().print(runs_table(runs, title=f"last runs of {org_id}"))


@cli.command("demo")
@friendly_errors
def demo_command() -> None:
    """Run the demo on a throwaway local PostgreSQL with pg_cron."""
    from pyrunlog.demo import run_demo

    run_demo(console())


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PGAPPNAME", "pyrunlog")
    sys.exit(cli(standalone_mode=True))
