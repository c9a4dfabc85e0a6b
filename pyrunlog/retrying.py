"""The retry part of the SQL API, mixed into RunLog: typed failures, periods, operators."""

from __future__ import annotations

import uuid
from typing import Any

from pyrunlog import queries
from pyrunlog.failures import failure_type_of, retry_after_of
from pyrunlog.models import Period, Schedule, SyncRun
from pyrunlog.sanitize import describe_exception


class RetryCalls:
    """fail_run, retry_period, resume_schedule and sync_periods; needs ``_rows`` of RunLog."""

    def _rows(self, query: queries.Query, conn: Any) -> list[dict[str, Any]]:
        raise NotImplementedError  # provided by RunLog

    def fail_run(
        self,
        run_id: int,
        failure_type: str,
        error_message: str | None = None,
        retry_after: float | None = None,
        records_processed: int | None = None,
        records_failed: int | None = None,
        *,
        conn: Any = None,
    ) -> tuple[SyncRun, SyncRun | None]:
        """runlog.fail_run: the failed attempt and its queued retry (None: the period is dead).

        The failed attempt's ``retry_decision`` says why there is no retry.
        """
        query = queries.fail_run(
            run_id, failure_type, error_message, retry_after, records_processed, records_failed
        )
        runs = [SyncRun.from_row(row) for row in self._rows(query, conn)]
        return runs[0], (runs[1] if len(runs) > 1 else None)

    def fail_run_for(
        self,
        run_id: int,
        exc: BaseException,
        records_processed: int | None = None,
        records_failed: int | None = None,
        *,
        conn: Any = None,
    ) -> tuple[SyncRun, SyncRun | None]:
        """fail_run with the failure type, message and Retry-After of an exception."""
        return self.fail_run(
            run_id,
            failure_type_of(exc),
            describe_exception(exc),
            retry_after_of(exc),
            records_processed,
            records_failed,
            conn=conn,
        )

    def retry_period(self, org_id: uuid.UUID, idempotency_key: str, *, conn: Any = None) -> SyncRun:
        """runlog.retry_period: re-queue a dead period as its next attempt."""
        return SyncRun.from_row(self._rows(queries.retry_period(org_id, idempotency_key), conn)[0])

    def resume_schedule(
        self, org_id: uuid.UUID, integration_type: str, *, conn: Any = None
    ) -> Schedule:
        """runlog.resume_schedule: enable a paused schedule and reset its dead-period count."""
        rows = self._rows(queries.resume_schedule(org_id, integration_type), conn)
        return Schedule.from_row(rows[0])

    def periods(
        self,
        state: str | None = None,
        org_id: uuid.UUID | None = None,
        limit: int = 100,
        *,
        conn: Any = None,
    ) -> list[Period]:
        """Rows of runlog.sync_periods (state: succeeded, retry_pending, running, dead)."""
        rows = self._rows(queries.periods(state, org_id, limit), conn)
        return [Period.from_row(row) for row in rows]
