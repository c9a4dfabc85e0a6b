"""The package's exceptions, one per documented SQLSTATE, and the mapping."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg


class RunLogError(Exception):
    """Base class of every error pyrunlog raises for a documented SQLSTATE."""

    sqlstate: str | None = None


class InvalidArgument(RunLogError):  # noqa: N818 - reads as the condition, like psycopg's
    """Bad input: status, trigger, count, integration type, org_id... (22023)."""

    sqlstate = "22023"


class PermissionDenied(RunLogError):  # noqa: N818
    """The role may not call this function or act for this organisation (42501)."""

    sqlstate = "42501"


class AlreadyRunning(RunLogError):  # noqa: N818
    """The integration already has a running run for this organisation (RL001)."""

    sqlstate = "RL001"


class NotRunning(RunLogError):  # noqa: N818
    """The run is not running (ended or still queued), so it cannot change (RL002)."""

    sqlstate = "RL002"


class DuplicatePeriod(RunLogError):  # noqa: N818
    """The idempotency key (period) is already queued, running or done (RL003)."""

    sqlstate = "RL003"


class RunNotFound(RunLogError):  # noqa: N818
    """No run has this id, or the caller cannot see it (RL004)."""

    sqlstate = "RL004"


class LockTimeout(RunLogError):  # noqa: N818
    """A lock stayed held by another session past the functions' lock_timeout (55P03)."""

    sqlstate = "55P03"


class MigrationError(RunLogError):
    """The schema cannot be migrated: an applied file changed, or the schema is newer."""


ERRORS_BY_SQLSTATE: dict[str, type[RunLogError]] = {
    cls.sqlstate: cls
    for cls in (
        InvalidArgument,
        PermissionDenied,
        AlreadyRunning,
        NotRunning,
        DuplicatePeriod,
        RunNotFound,
        LockTimeout,
    )
    if cls.sqlstate is not None
}


# Server-side conversion errors of arguments are bad input too.
ERRORS_BY_SQLSTATE["22003"] = InvalidArgument  # numeric value out of range
ERRORS_BY_SQLSTATE["22P02"] = InvalidArgument  # invalid text representation
ERRORS_BY_SQLSTATE["22008"] = InvalidArgument  # datetime field overflow


def translate(error: psycopg.Error) -> Exception:
    """The pyrunlog exception for a psycopg error, or the error itself."""
    if isinstance(error, psycopg.DataError) and error.sqlstate is None:
        # psycopg refused to send the value (a NUL byte in a string, say)
        refused = InvalidArgument(f"cannot send this value to PostgreSQL: {error}")
        refused.__cause__ = error
        return refused
    cls = ERRORS_BY_SQLSTATE.get(error.sqlstate or "")
    if cls is None:
        return error
    message = error.diag.message_primary or str(error)
    if error.diag.message_hint:
        message = f"{message} ({error.diag.message_hint})"
    translated = cls(message)
    translated.__cause__ = error
    return translated


@contextlib.contextmanager
def wrap_exceptions() -> Iterator[None]:
    """Re-raise psycopg errors with a documented SQLSTATE as pyrunlog exceptions."""
    try:
        yield
    except UnicodeEncodeError as error:  # a lone surrogate in an argument
        raise InvalidArgument(f"an argument is not valid UTF-8 text: {error}") from error
    except psycopg.Error as error:
        translated = translate(error)
        if translated is error:
            raise
        raise translated from error


class ConnectionFailed(RunLogError, psycopg.OperationalError):  # noqa: N818
    """No connection to PostgreSQL within the connect timeout; the message says where and why.

    It is also a ``psycopg.OperationalError``, so code that retries those keeps working.
    """
