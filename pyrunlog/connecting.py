"""Pools that fail fast and say why: the connect timeout and ConnectionFailed."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pyrunlog.errors import ConnectionFailed

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds a call waits for a connection before ConnectionFailed."""


def pool_options(max_size: int, connect_timeout: float) -> dict[str, Any]:
    """Arguments of a pool that pyrunlog creates: its size, its wait, its connections'."""
    return {
        "min_size": 1,
        "max_size": max_size,
        "timeout": connect_timeout,
        # One function call is one statement: autocommit saves the COMMIT
        # roundtrip (scoped calls open a transaction of their own). libpq
        # takes whole seconds, at least 2.
        "kwargs": {"autocommit": True, "connect_timeout": max(2, math.ceil(connect_timeout))},
    }


class RecordingConnection(psycopg.Connection[Any]):
    """A connection class that remembers why the pool's last connection attempt failed."""

    last_error: ClassVar[BaseException | None] = None

    @classmethod
    def connect(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            conn = super().connect(*args, **kwargs)
        except psycopg.Error as exc:
            cls.last_error = exc
            raise
        cls.last_error = None
        return conn


class AsyncRecordingConnection(psycopg.AsyncConnection[Any]):
    """The asyncio twin of RecordingConnection."""

    last_error: ClassVar[BaseException | None] = None

    @classmethod
    async def connect(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            conn = await super().connect(*args, **kwargs)
        except psycopg.Error as exc:
            cls.last_error = exc
            raise
        cls.last_error = None
        return conn


def recording_class() -> type[RecordingConnection]:
    """A connection class of one pool's own (the last error is per pool)."""
    return type("PoolConnection", (RecordingConnection,), {"last_error": None})


def async_recording_class() -> type[AsyncRecordingConnection]:
    """An async connection class of one pool's own."""
    return type("AsyncPoolConnection", (AsyncRecordingConnection,), {"last_error": None})


def where(conninfo: Any) -> str:
    """The host (or socket directory), port and database a conninfo names, for messages."""
    if not isinstance(conninfo, str):
        return "the server"  # a pool whose conninfo is a callable
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "the server"
    host = params.get("host") or params.get("hostaddr") or "the default host"
    port = f":{params['port']}" if params.get("port") else ""
    database = f"/{params['dbname']}" if params.get("dbname") else ""
    return f"{host}{port}{database}"


def connection_failed(
    conninfo: Any, timeout: float, last_error: BaseException | None, pool_size: int
) -> ConnectionFailed:
    """The error for a call that got no connection within the timeout."""
    if last_error is not None:
        reason = str(last_error).strip().splitlines()[0]
        reason = reason.removeprefix("connection failed: ").removeprefix("connection is bad: ")
        return ConnectionFailed(
            f"cannot connect to PostgreSQL at {where(conninfo)} within {timeout:g}s: {reason}"
        )
    return ConnectionFailed(
        f"no connection to PostgreSQL at {where(conninfo)} within {timeout:g}s "
        f"(all {pool_size} pooled connections busy, or the server is slow to answer)"
    )


def no_connection(pool: Any) -> ConnectionFailed:
    """The error for a call that got no connection from a (sync or async) pool in time."""
    reason = getattr(pool.connection_class, "last_error", None)
    return connection_failed(pool.conninfo, pool.timeout, reason, pool.max_size)
