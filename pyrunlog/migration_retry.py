"""Migration statements that wait for a lock briefly, retry, and name who blocks them.

An ALTER TABLE waiting for a lock that a tenant's open transaction holds
would queue every later query on that table behind it. Each migration
transaction therefore sets a short ``lock_timeout``; when it runs out the
transaction is rolled back (nobody waits behind it any more) and tried again
a few times. A second connection watches ``pg_blocking_pids`` meanwhile, so
the warning and the final error name the sessions in the way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import psycopg

from pyrunlog.errors import MigrationError

log = logging.getLogger("pyrunlog.migrate")

LOCK_TIMEOUT = "2s"
ATTEMPTS = 5
PAUSE_SECONDS = 1.0
WATCH_SECONDS = 0.1

BLOCKERS = (
    "SELECT a.pid, a.usename, a.application_name, a.state,"
    " pg_catalog.now() - a.xact_start"
    " FROM pg_catalog.pg_stat_activity AS a"
    " WHERE a.pid = ANY (pg_catalog.pg_blocking_pids(%s))"
    " ORDER BY a.pid"
)


class BlockerWatch:
    """From a second connection, remember who last blocked a backend while ``with`` runs."""

    def __init__(self, dsn: str, pid: int) -> None:
        self._dsn = dsn
        self._pid = pid
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="blockers", daemon=True)
        self.blockers = ""

    def __enter__(self) -> BlockerWatch:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        try:
            with psycopg.connect(self._dsn, autocommit=True) as watcher:
                while not self._done.wait(WATCH_SECONDS):
                    rows = watcher.execute(BLOCKERS, [self._pid]).fetchall()
                    if rows:
                        self.blockers = ", ".join(_describe(*row) for row in rows)
        except psycopg.Error as exc:  # watching is a courtesy: never fail the migration
            log.debug("could not watch for blocking sessions: %s", exc)


def _describe(pid: int, user: str | None, app: str | None, state: str | None, age: Any) -> str:
    since = f", transaction open for {age}" if age is not None else ""
    return f"pid {pid} (user {user or '?'}, application {app or '?'}, {state or '?'}{since})"


def run_with_lock_retries(
    conn: psycopg.Connection[Any], dsn: str, what: str, body: Callable[[], None]
) -> None:
    """Run body in a transaction with a short lock_timeout; retry; name the blockers if it fails."""
    blockers = ""
    for attempt in range(1, ATTEMPTS + 1):
        with BlockerWatch(dsn, conn.info.backend_pid) as watch:
            try:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    body()
                return
            except psycopg.errors.LockNotAvailable:
                pass
        blockers = watch.blockers or "a session that has ended since"
        log.warning(
            "%s: waited %s for a lock (attempt %d of %d), blocked by %s",
            what,
            LOCK_TIMEOUT,
            attempt,
            ATTEMPTS,
            blockers,
        )
        if attempt < ATTEMPTS:
            time.sleep(PAUSE_SECONDS * attempt)
    raise MigrationError(
        f"{what}: a lock stayed held {ATTEMPTS} times for lock_timeout {LOCK_TIMEOUT} "
        f"(pg_blocking_pids: {blockers}); nothing of it was applied. End or wait for those "
        "sessions (pg_terminate_backend) and migrate again."
    )
