"""RunLog: the typed, synchronous caller of the runlog SQL API."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from pyrunlog import queries
from pyrunlog.connecting import (
    DEFAULT_CONNECT_TIMEOUT,
    no_connection,
    pool_options,
    recording_class,
)
from pyrunlog.errors import NotRunning, wrap_exceptions
from pyrunlog.models import RunStatus, SyncRun, Trigger
from pyrunlog.outcome import FALLBACK_ERROR, Progress, ending
from pyrunlog.retrying import RetryCalls
from pyrunlog.scheduling import SchedulingCalls

Conn = psycopg.Connection[Any]


class RunLog(SchedulingCalls, RetryCalls):
    """Calls the runlog functions over a connection pool.

    Every call runs in a transaction of its own, unless ``conn=`` passes the
    caller's connection, which then owns the transaction. ``for_org`` returns a
    view scoped to one organisation: each call sets the org claim for its own
    transaction only, so a pooled connection never carries it to the next user.
    """

    def __init__(
        self,
        source: str | ConnectionPool | Conn,
        *,
        org_id: uuid.UUID | None = None,
        role: str | None = None,
        max_size: int = 8,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._connection_only: Conn | None = None
        self._pool: ConnectionPool | None = None
        self._owns_pool = False
        self._connect_timeout = connect_timeout
        if isinstance(source, str):
            self._pool = ConnectionPool(
                source,
                open=True,
                connection_class=recording_class(),
                **pool_options(max_size, connect_timeout),
            )
            self._owns_pool = True
        elif isinstance(source, ConnectionPool):
            self._pool = source
        else:  # one connection the caller owns (a CLI, a script, a test)
            self._connection_only = source
        self._org_id = org_id
        self._role = role

    def close(self) -> None:
        """Close the pool if this RunLog created it."""
        if self._owns_pool and self._pool is not None:
            self._pool.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def for_org(self, org_id: uuid.UUID, role: str | None = None) -> RunLog:
        """A view that acts as a reader of one organisation (same pool)."""
        source = self._pool if self._pool is not None else self._connection_only
        assert source is not None
        return RunLog(source, org_id=org_id, role=role, connect_timeout=self._connect_timeout)

    # -- execution -----------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self, conn: Conn | None) -> Iterator[Conn]:
        """The caller's connection, or a pooled one; a transaction when org-scoped."""
        with contextlib.ExitStack() as stack:
            if conn is None:
                conn = self._connection_only
            if conn is None:
                assert self._pool is not None
                conn = stack.enter_context(self._pooled())
            if self._org_id is not None:
                stack.enter_context(conn.transaction())  # the claim lives in it only
            yield conn

    @contextlib.contextmanager
    def _pooled(self) -> Iterator[Conn]:
        """A pooled connection, or ConnectionFailed (where and why) after the pool's timeout."""
        pool = self._pool
        assert pool is not None
        try:
            conn = pool.getconn()
        except PoolTimeout as exc:
            raise no_connection(pool) from exc
        try:
            yield conn
        finally:
            pool.putconn(conn)

    def _rows(self, query: queries.Query, conn: Any) -> list[dict[str, Any]]:
        with self._connection(conn) as c, wrap_exceptions(), c.cursor(row_factory=dict_row) as cur:
            if self._org_id is not None:
                claims = queries.set_claims(self._org_id, self._role)
                cur.execute(claims.sql, claims.params)
            cur.execute(query.sql, query.params)
            return cur.fetchall()

    def _runs(self, query: queries.Query, conn: Conn | None) -> list[SyncRun]:
        return [SyncRun.from_row(row) for row in self._rows(query, conn) if row["id"] is not None]

    def _run(self, query: queries.Query, conn: Conn | None) -> SyncRun:
        runs = self._runs(query, conn)
        assert len(runs) == 1, f"expected one run, got {len(runs)}"
        return runs[0]

    # -- the SQL API ---------------------------------------------------------

    def start_run(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun:
        """runlog.start_run: a running run, started now."""
        query = queries.start_run(
            org_id, integration_type, triggered_by, scheduled_for, idempotency_key
        )
        return self._run(query, conn)

    def finish_run(
        self,
        run_id: int,
        status: RunStatus | str,
        records_processed: int | None = None,
        records_failed: int | None = None,
        error_message: str | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun:
        """runlog.finish_run; any error text is stored (sanitised, cut to 2000)."""
        query = queries.finish_run(run_id, status, records_processed, records_failed, error_message)
        return self._run(query, conn)

    def heartbeat(
        self,
        run_id: int,
        records_processed: int | None = None,
        records_failed: int | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun:
        """runlog.heartbeat; raises NotRunning once the run was cancelled or reaped."""
        return self._run(queries.heartbeat(run_id, records_processed, records_failed), conn)

    def request_sync(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun:
        """runlog.request_sync: a queued run; workers are notified."""
        query = queries.request_sync(
            org_id, integration_type, triggered_by, scheduled_for, idempotency_key
        )
        return self._run(query, conn)

    def claim_next(
        self,
        worker_id: str,
        integration_types: Sequence[str] | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun | None:
        """runlog.claim_next: the claimed run, or None when nothing is due."""
        runs = self._runs(queries.claim_next(worker_id, integration_types), conn)
        return runs[0] if runs else None

    def claim_runs(
        self,
        worker_id: str,
        integration_types: Sequence[str] | None = None,
        max_runs: int = 1,
        *,
        conn: Conn | None = None,
    ) -> list[SyncRun]:
        """runlog.claim_runs: up to max_runs claimed runs in one call."""
        return self._runs(queries.claim_runs(worker_id, integration_types, max_runs), conn)

    def finish_and_claim(
        self,
        run_id: int,
        status: RunStatus | str,
        records_processed: int | None,
        records_failed: int | None,
        error_message: str | None,
        worker_id: str,
        integration_types: Sequence[str] | None = None,
        *,
        conn: Conn | None = None,
    ) -> SyncRun | None:
        """runlog.finish_and_claim: finish this run and claim the next, atomically.

        Raises like finish_run; then nothing was claimed.
        """
        query = queries.finish_and_claim(
            run_id, status, records_processed, records_failed, error_message,
            worker_id, integration_types,
        )  # fmt: skip
        runs = self._runs(query, conn)
        return runs[0] if runs else None

    def cancel_run(
        self, run_id: int, reason: str | None = None, *, conn: Conn | None = None
    ) -> SyncRun:
        """runlog.cancel_run."""
        return self._run(queries.cancel_run(run_id, reason), conn)

    def last_runs(
        self, org_id: uuid.UUID | None = None, *, conn: Conn | None = None
    ) -> list[SyncRun]:
        """runlog.last_runs: the latest started run per integration."""
        return self._runs(queries.last_runs(org_id), conn)

    def run_history(
        self,
        org_id: uuid.UUID | None = None,
        integration_type: str | None = None,
        max_rows: int = 50,
        before_id: int | None = None,
        *,
        conn: Conn | None = None,
    ) -> list[SyncRun]:
        """runlog.run_history: newest first; pass the last id as before_id to page."""
        query = queries.run_history(org_id, integration_type, max_rows, before_id)
        return self._runs(query, conn)

    def integration_known(self, integration_type: str, *, conn: Conn | None = None) -> bool:
        """Whether a schedule names the integration type or any run of it ever started.

        A manual run of an unknown type waits until a worker has a handler for it.
        """
        return bool(self._rows(queries.integration_known(integration_type), conn)[0]["known"])

    def organisations(self, *, conn: Conn | None = None) -> list[uuid.UUID]:
        """The organisations the caller can see runs of."""
        return [row["org_id"] for row in self._rows(queries.organisations(), conn)]

    def reads_runs(self, *, conn: Conn | None = None) -> bool:
        """Whether the caller can read any runs at all.

        False for a runlog_reader login without an organisation: no claim set
        (``for_org``) and not bound to one. Row security then hides every row.
        """
        return bool(self._rows(queries.reads_runs(), conn)[0]["reads"])

    def holds_role(self, role: str, *, conn: Conn | None = None) -> bool:
        """Whether the login has the privileges of ``role`` (e.g. runlog_worker)."""
        return bool(self._rows(queries.holds_role(role), conn)[0]["holds"])

    def version(self, *, conn: Conn | None = None) -> str | None:
        """runlog.version: the deployed schema version."""
        rows = self._rows(queries.version(), conn)
        return rows[0]["version"] if rows else None

    # -- running a sync ------------------------------------------------------

    @contextlib.contextmanager
    def run(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Iterator[RunContext]:
        """Start a run and always finish it.

        Ends succeeded, partial when records failed, failed with the exception
        text when the body raises, cancelled on KeyboardInterrupt/SystemExit.
        """
        run = self.start_run(org_id, integration_type, triggered_by, scheduled_for, idempotency_key)
        context = RunContext(self, run)
        try:
            yield context
        except BaseException as exc:
            context.finish(exc)
            raise
        context.finish(None)


class RunContext:
    """The run inside ``RunLog.run``: report progress, send heartbeats."""

    def __init__(self, runlog: RunLog, run: SyncRun) -> None:
        self._runlog = runlog
        self.run = run
        self.progress = Progress()

    def report(self, processed: int | None = None, failed: int | None = None) -> None:
        """Set the totals of records processed and failed."""
        self.progress.set(processed, failed)

    def heartbeat(self) -> SyncRun:
        """Store a sign of life and the totals; NotRunning once cancelled."""
        self.run = self._runlog.heartbeat(
            self.run.id, self.progress.processed, self.progress.failed
        )
        return self.run

    def finish(self, exc: BaseException | None) -> None:
        """End the run for this outcome (called by ``RunLog.run``)."""
        status, message = ending(self.progress, exc)
        try:
            if status is RunStatus.FAILED and exc is not None:
                self.run, _ = self._runlog.fail_run_for(
                    self.run.id, exc, self.progress.processed, self.progress.failed
                )
                return
            self.run = self._finish(status, message)
        except NotRunning:
            if exc is None:
                raise  # cancelled or reaped meanwhile: the caller must know
        except Exception:
            if message is None:
                raise
            self.run = self._finish(status, FALLBACK_ERROR)

    def _finish(self, status: RunStatus, message: str | None) -> SyncRun:
        return self._runlog.finish_run(
            self.run.id, status, self.progress.processed, self.progress.failed, message
        )
