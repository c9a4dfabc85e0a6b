"""AsyncRunLog: the asyncio twin of RunLog, over psycopg's async pool."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from pyrunlog import queries
from pyrunlog.connecting import (
    DEFAULT_CONNECT_TIMEOUT,
    async_recording_class,
    no_connection,
    pool_options,
)
from pyrunlog.errors import NotRunning, wrap_exceptions
from pyrunlog.failures import failure_type_of, retry_after_of
from pyrunlog.models import RunStatus, SyncRun, Trigger
from pyrunlog.outcome import FALLBACK_ERROR, Progress, ending

AsyncConn = psycopg.AsyncConnection[Any]


class AsyncRunLog:
    """Calls the runlog functions over an async pool; see RunLog for semantics.

    Create with ``await AsyncRunLog.connect(conninfo)`` or pass an open
    ``AsyncConnectionPool``.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        org_id: uuid.UUID | None = None,
        role: str | None = None,
        owns_pool: bool = False,
    ) -> None:
        self._pool = pool
        self._owns_pool = owns_pool
        self._org_id = org_id
        self._role = role

    @classmethod
    async def connect(
        cls,
        conninfo: str,
        max_size: int = 8,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> AsyncRunLog:
        """An AsyncRunLog over a new pool that it closes on ``close()``.

        A call that gets no connection within ``connect_timeout`` seconds raises
        ConnectionFailed, naming the server and why.
        """
        pool = AsyncConnectionPool(
            conninfo,
            open=False,
            connection_class=async_recording_class(),
            **pool_options(max_size, connect_timeout),
        )
        await pool.open()
        return cls(pool, owns_pool=True)

    async def close(self) -> None:
        """Close the pool if this AsyncRunLog created it."""
        if self._owns_pool:
            await self._pool.close()

    async def __aenter__(self) -> AsyncRunLog:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def for_org(self, org_id: uuid.UUID, role: str | None = None) -> AsyncRunLog:
        """A view that acts as a reader of one organisation (same pool)."""
        return AsyncRunLog(self._pool, org_id=org_id, role=role)

    # -- execution -----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _connection(self, conn: AsyncConn | None) -> AsyncIterator[AsyncConn]:
        """The caller's connection, or a pooled one; a transaction when org-scoped."""
        async with contextlib.AsyncExitStack() as stack:
            connection: AsyncConn = (
                conn if conn is not None else await stack.enter_async_context(self._pooled())
            )
            if self._org_id is not None:
                await stack.enter_async_context(connection.transaction())
            yield connection

    @contextlib.asynccontextmanager
    async def _pooled(self) -> AsyncIterator[AsyncConn]:
        """A pooled connection, or ConnectionFailed (where and why) after the pool's timeout."""
        pool = self._pool
        try:
            conn = await pool.getconn()
        except PoolTimeout as exc:
            raise no_connection(pool) from exc
        try:
            yield conn
        finally:
            await pool.putconn(conn)

    async def _rows(self, query: queries.Query, conn: AsyncConn | None) -> list[dict[str, Any]]:
        async with self._connection(conn) as c:
            with wrap_exceptions():
                async with c.cursor(row_factory=dict_row) as cur:
                    if self._org_id is not None:
                        claims = queries.set_claims(self._org_id, self._role)
                        await cur.execute(claims.sql, claims.params)
                    await cur.execute(query.sql, query.params)
                    return await cur.fetchall()

    async def _runs(self, query: queries.Query, conn: AsyncConn | None) -> list[SyncRun]:
        rows = await self._rows(query, conn)
        return [SyncRun.from_row(row) for row in rows if row["id"] is not None]

    async def _run(self, query: queries.Query, conn: AsyncConn | None) -> SyncRun:
        runs = await self._runs(query, conn)
        assert len(runs) == 1, f"expected one run, got {len(runs)}"
        return runs[0]

    # -- the SQL API ---------------------------------------------------------

    async def start_run(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> SyncRun:
        """runlog.start_run."""
        query = queries.start_run(
            org_id, integration_type, triggered_by, scheduled_for, idempotency_key
        )
        return await self._run(query, conn)

    async def finish_run(
        self,
        run_id: int,
        status: RunStatus | str,
        records_processed: int | None = None,
        records_failed: int | None = None,
        error_message: str | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> SyncRun:
        """runlog.finish_run."""
        query = queries.finish_run(run_id, status, records_processed, records_failed, error_message)
        return await self._run(query, conn)

    async def fail_run(
        self,
        run_id: int,
        failure_type: str,
        error_message: str | None = None,
        retry_after: float | None = None,
        records_processed: int | None = None,
        records_failed: int | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> tuple[SyncRun, SyncRun | None]:
        """runlog.fail_run: the failed attempt and its queued retry (None: the period is dead)."""
        query = queries.fail_run(
            run_id, failure_type, error_message, retry_after, records_processed, records_failed
        )
        runs = [SyncRun.from_row(row) for row in await self._rows(query, conn)]
        return runs[0], (runs[1] if len(runs) > 1 else None)

    async def heartbeat(
        self,
        run_id: int,
        records_processed: int | None = None,
        records_failed: int | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> SyncRun:
        """runlog.heartbeat."""
        return await self._run(queries.heartbeat(run_id, records_processed, records_failed), conn)

    async def request_sync(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> SyncRun:
        """runlog.request_sync."""
        query = queries.request_sync(
            org_id, integration_type, triggered_by, scheduled_for, idempotency_key
        )
        return await self._run(query, conn)

    async def claim_next(
        self,
        worker_id: str,
        integration_types: Sequence[str] | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> SyncRun | None:
        """runlog.claim_next."""
        runs = await self._runs(queries.claim_next(worker_id, integration_types), conn)
        return runs[0] if runs else None

    async def cancel_run(
        self, run_id: int, reason: str | None = None, *, conn: AsyncConn | None = None
    ) -> SyncRun:
        """runlog.cancel_run."""
        return await self._run(queries.cancel_run(run_id, reason), conn)

    async def last_runs(
        self, org_id: uuid.UUID | None = None, *, conn: AsyncConn | None = None
    ) -> list[SyncRun]:
        """runlog.last_runs."""
        return await self._runs(queries.last_runs(org_id), conn)

    async def run_history(
        self,
        org_id: uuid.UUID | None = None,
        integration_type: str | None = None,
        max_rows: int = 50,
        before_id: int | None = None,
        *,
        conn: AsyncConn | None = None,
    ) -> list[SyncRun]:
        """runlog.run_history."""
        query = queries.run_history(org_id, integration_type, max_rows, before_id)
        return await self._runs(query, conn)

    async def version(self, *, conn: AsyncConn | None = None) -> str | None:
        """runlog.version."""
        rows = await self._rows(queries.version(), conn)
        return rows[0]["version"] if rows else None

    # -- running a sync ------------------------------------------------------

    @contextlib.asynccontextmanager
    async def run(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        triggered_by: Trigger | str = Trigger.MANUAL,
        scheduled_for: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncIterator[AsyncRunContext]:
        """Start a run and always finish it (see RunLog.run)."""
        run = await self.start_run(
            org_id, integration_type, triggered_by, scheduled_for, idempotency_key
        )
        context = AsyncRunContext(self, run)
        try:
            yield context
        except BaseException as exc:
            await context.finish(exc)
            raise
        await context.finish(None)


class AsyncRunContext:
    """The run inside ``AsyncRunLog.run``."""

    def __init__(self, runlog: AsyncRunLog, run: SyncRun) -> None:
        self._runlog = runlog
        self.run = run
        self.progress = Progress()

    def report(self, processed: int | None = None, failed: int | None = None) -> None:
        """Set the totals of records processed and failed."""
        self.progress.set(processed, failed)

    async def heartbeat(self) -> SyncRun:
        """Store a sign of life and the totals; NotRunning once cancelled."""
        self.run = await self._runlog.heartbeat(
            self.run.id, self.progress.processed, self.progress.failed
        )
        return self.run

    async def finish(self, exc: BaseException | None) -> None:
        """End the run for this outcome (called by ``AsyncRunLog.run``)."""
        status, message = ending(self.progress, exc)
        try:
            if status is RunStatus.FAILED and exc is not None:
                self.run, _ = await self._runlog.fail_run(
                    self.run.id,
                    failure_type_of(exc),
                    message,
                    retry_after_of(exc),
                    self.progress.processed,
                    self.progress.failed,
                )
                return
            self.run = await self._finish(status, message)
        except NotRunning:
            if exc is None:
                raise
        except Exception:
            if message is None:
                raise
            self.run = await self._finish(status, FALLBACK_ERROR)

    async def _finish(self, status: RunStatus, message: str | None) -> SyncRun:
        return await self._runlog.finish_run(
            self.run.id, status, self.progress.processed, self.progress.failed, message
        )
