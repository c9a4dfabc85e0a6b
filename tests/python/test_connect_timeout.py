"""A server that is down: calls fail within the connect timeout, naming the server and why."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import psycopg
import pytest

from pyrunlog import AsyncRunLog, ConnectionFailed, RunLog, RunLogError

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000d1")

# The old behaviour was a 30-second wait; this bound only tells the two apart.
WELL_UNDER_THE_OLD_WAIT = 20.0


def _closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_that_is_down_fails_with_host_and_reason() -> None:
    port = _closed_port()
    started = time.monotonic()
    with (
        RunLog(f"host=127.0.0.1 port={port} dbname=app", connect_timeout=2) as log,
        pytest.raises(ConnectionFailed) as caught,
    ):
        log.last_runs(ORG)
    assert time.monotonic() - started < WELL_UNDER_THE_OLD_WAIT
    message = str(caught.value)
    assert f"127.0.0.1:{port}/app within 2s" in message
    assert "Connection refused" in message
    # Code that retries OperationalError (as the worker does) still sees one.
    assert isinstance(caught.value, psycopg.OperationalError)
    assert isinstance(caught.value, RunLogError)


def test_the_async_twin_fails_the_same_way() -> None:
    port = _closed_port()

    async def call() -> None:
        log = await AsyncRunLog.connect(f"host=127.0.0.1 port={port} dbname=app", connect_timeout=2)
        async with log:
            await log.last_runs(ORG)

    with pytest.raises(ConnectionFailed, match="Connection refused"):
        asyncio.run(call())


def test_a_busy_pool_says_so_rather_than_blaming_the_server(worker_dsn: str) -> None:
    with RunLog(worker_dsn, max_size=1, connect_timeout=1) as log:
        assert log.last_runs(ORG) == []  # the server is up
        held = log._pool.getconn() if log._pool else None
        try:
            with pytest.raises(ConnectionFailed, match="all 1 pooled connections busy"):
                log.last_runs(ORG)
        finally:
            if log._pool and held:
                log._pool.putconn(held)
        assert log.last_runs(ORG) == []  # and works again once one is free
