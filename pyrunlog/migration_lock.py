"""The migration lock: one migrator at a time, and one no tenant can hold.

Once migration 0006 has created ``runlog.migration_lock``, the lock is
``LOCK TABLE runlog.migration_lock IN SHARE UPDATE EXCLUSIVE MODE``, held by a
second connection while ``migrate`` works: only the table's owner can take a
lock that conflicts with it, whereas any connection can take any advisory
lock. Before the table exists (a new database, or one older than 0006) the
lock is a session advisory lock. Waiting for either, the migrator logs every
few seconds who holds it instead of waiting silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger("pyrunlog.migrate")

LOCK_TABLE = ("runlog", "migration_lock")
# pg_advisory_lock key before 0006: the bytes of "runlog" read as an integer.
ADVISORY_KEY = int.from_bytes(b"runlog", "big")
RETRY_SECONDS = 0.2
REPORT_SECONDS = 3.0

HOLDERS = sql.SQL(
    "SELECT l.pid, a.usename, a.application_name FROM pg_catalog.pg_locks AS l"
    " LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid"
    " WHERE l.granted AND l.pid <> pg_catalog.pg_backend_pid() AND ({})"
)
ADVISORY_HOLDERS = HOLDERS.format(
    sql.SQL(
        "l.locktype = 'advisory' AND l.objsubid = 1"
        " AND l.classid = %(high)s::bigint::oid AND l.objid = %(low)s::bigint::oid"
    )
)
TABLE_HOLDERS = HOLDERS.format(
    sql.SQL("l.locktype = 'relation' AND l.relation = 'runlog.migration_lock'::regclass")
)


class MigrationLock:
    """Hold the migration lock for ``with``; ``upgrade()`` after each migration."""

    def __init__(self, conn: psycopg.Connection[Any], dsn: str) -> None:
        self._conn = conn
        self._dsn = dsn
        self._holder: psycopg.Connection[Any] | None = None
        self._advisory = False

    def __enter__(self) -> MigrationLock:
        if not self._table_exists():
            self._wait("the migration advisory lock", self._try_advisory, ADVISORY_HOLDERS)
        self.upgrade()
        return self

    def upgrade(self) -> bool:
        """Lock the table once it exists; True when it was locked just now (re-read the state)."""
        if self._holder is not None or not self._table_exists():
            return False
        holder = psycopg.connect(self._dsn, autocommit=True)
        holder.execute("SET idle_in_transaction_session_timeout = 0")
        holder.autocommit = False
        self._holder = holder
        self._wait("the migration lock", self._try_table, TABLE_HOLDERS)
        return True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._holder is not None:
            self._holder.close()  # ends its transaction and the table lock
        if self._advisory and not self._conn.closed:
            self._conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", [ADVISORY_KEY])

    def _table_exists(self) -> bool:
        row = self._conn.execute(
            "SELECT pg_catalog.to_regclass('runlog.migration_lock') IS NOT NULL"
        ).fetchone()
        return bool(row and row[0])

    def _try_advisory(self) -> bool:
        row = self._conn.execute(
            "SELECT pg_catalog.pg_try_advisory_lock(%s)", [ADVISORY_KEY]
        ).fetchone()
        self._advisory = bool(row and row[0])
        return self._advisory

    def _try_table(self) -> bool:
        assert self._holder is not None
        try:
            self._holder.execute(
                sql.SQL("LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT").format(
                    sql.Identifier(*LOCK_TABLE)
                )
            )
        except psycopg.errors.LockNotAvailable:
            self._holder.rollback()
            return False
        return True

    def _wait(self, what: str, attempt: Callable[[], bool], holders: sql.Composed) -> None:
        """Call attempt until it succeeds; log who holds the lock every few seconds."""
        started = time.monotonic()
        next_report = started + REPORT_SECONDS
        while not attempt():
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + REPORT_SECONDS
                log.warning(
                    "waiting %.0fs for %s, held by %s",
                    time.monotonic() - started,
                    what,
                    self._describe(holders) or "a session that just ended",
                )
            time.sleep(RETRY_SECONDS)

    def _describe(self, holders: sql.Composed) -> str:
        params = {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF}
        rows = self._conn.execute(holders, params if holders is ADVISORY_HOLDERS else None)
        return ", ".join(
            f"pid {pid} (user {user or '?'}, application {app or '?'})"
            for pid, user, app in rows.fetchall()
        )
