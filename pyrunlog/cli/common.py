"""What every command shares: the connection option, clear errors, output."""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator, Sized
from functools import wraps
from typing import Any, TypeVar

import click
import psycopg
from rich.console import Console

from pyrunlog.errors import RunLogError
from pyrunlog.migrate import latest_version
from pyrunlog.repository import RunLog

F = TypeVar("F", bound=Callable[..., Any])

dsn_option = click.option(
    "--dsn",
    envvar="PYRUNLOG_DSN",
    default="",
    show_default=False,
    help="libpq connection string or URI (default: $PYRUNLOG_DSN, then the PG* variables).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
org_option = click.option(
    "--org", "org_id", type=click.UUID, required=True, help="Organisation id."
)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


CONNECTION_CLASSES = ("08", "28", "3D", "53", "57")  # connection, auth, database, resources


def friendly_errors(command: F) -> F:
    """Turn database and pyrunlog errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except psycopg.Error as exc:
            if exc.sqlstate is None or exc.sqlstate[:2] in CONNECTION_CLASSES:
                raise click.ClickException(
                    f"cannot connect to PostgreSQL: {first_line(exc)} (check --dsn / "
                    "PYRUNLOG_DSN, the credentials, and that the server is running)"
                ) from exc
            hint = exc.diag.message_hint if exc.diag else None
            raise click.ClickException(first_line(exc) + (f" ({hint})" if hint else "")) from exc
        except RunLogError as exc:
            raise click.ClickException(first_line(exc)) from exc

    return wrapper  # type: ignore[return-value]


def connect(dsn: str) -> psycopg.Connection[Any]:
    """One autocommit connection; a malformed DSN is a clear error."""
    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.ProgrammingError as exc:
        raise click.ClickException(
            f"invalid connection string: {first_line(exc)} (check --dsn / PYRUNLOG_DSN)"
        ) from exc


def console() -> Console:
    """A console; when output is not a terminal, wide enough that tables do not wrap."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def check_schema(runlog: RunLog) -> None:
    """Refuse to work on a schema that is missing, older or newer than this package."""
    wanted = latest_version()
    try:
        deployed = runlog.version()
    except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName) as exc:
        raise click.ClickException(
            "schema runlog is not installed in this database: run pyrunlog migrate"
        ) from exc
    version = int(deployed) if deployed else 0
    if version < wanted:
        raise click.ClickException(
            f"schema runlog is at {version:04d} but this pyrunlog needs {wanted:04d}: "
            "run pyrunlog migrate"
        )
    if version > wanted:
        raise click.ClickException(
            f"schema runlog is at {version:04d}, newer than this pyrunlog ({wanted:04d}): "
            "upgrade pyrunlog"
        )


@contextlib.contextmanager
def connect_checked(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a schema of this package's version (one clear error otherwise)."""
    with connect(dsn) as conn:  # fails fast, unlike a pool
        check_schema(RunLog(conn))
        yield conn


@contextlib.contextmanager
def open_runlog(dsn: str, org_id: uuid.UUID | None = None) -> Iterator[RunLog]:
    """A RunLog over one checked connection.

    With ``org_id`` it acts for that organisation: each call sets the
    organisation claim for its own transaction, so a runlog_reader login sees
    the organisation's rows (workers and admins see them anyway).
    """
    with connect_checked(dsn) as conn:
        runlog = RunLog(conn)
        yield runlog if org_id is None else runlog.for_org(org_id)


NO_ORGANISATION = (
    "note: this login holds runlog_reader and acts for no organisation, so it sees no rows;"
    " pass --org ORG (sets the organisation claim) or bind the login to its organisation"
    " (pyrunlog login bind LOGIN ORG, as runlog_admin)"
)


def explain_nothing_found(runlog: RunLog, found: Sized) -> None:
    """When nothing was found because the login acts for no organisation, say so on stderr."""
    if not len(found) and not runlog.reads_runs():
        click.echo(NO_ORGANISATION, err=True)
