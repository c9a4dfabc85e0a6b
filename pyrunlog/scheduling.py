"""The scheduling part of the SQL API, mixed into RunLog."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pyrunlog import queries
from pyrunlog.models import CatchUp, Schedule


class SchedulingCalls:
    """Schedules, tick, retention and pre-warm calls; needs ``_rows`` of RunLog."""

    def _rows(self, query: queries.Query, conn: Any) -> list[dict[str, Any]]:
        raise NotImplementedError  # provided by RunLog

    def set_schedule(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        cron: str,
        time_zone: str = "UTC",
        catch_up: CatchUp | str = CatchUp.LATEST,
        prewarm_lead: timedelta = timedelta(minutes=1),
        enabled: bool = True,
        *,
        conn: Any = None,
    ) -> Schedule:
        """runlog.set_schedule: create or replace (validated on write)."""
        mode = catch_up.value if isinstance(catch_up, CatchUp) else catch_up
        query = queries.set_schedule(
            org_id, integration_type, cron, time_zone, mode, prewarm_lead, enabled
        )
        return Schedule.from_row(self._rows(query, conn)[0])

    def enable_schedule(
        self, org_id: uuid.UUID, integration_type: str, *, conn: Any = None
    ) -> Schedule:
        """runlog.enable_schedule."""
        query = queries.change_schedule("enable_schedule", org_id, integration_type)
        return Schedule.from_row(self._rows(query, conn)[0])

    def disable_schedule(
        self, org_id: uuid.UUID, integration_type: str, *, conn: Any = None
    ) -> Schedule:
        """runlog.disable_schedule."""
        query = queries.change_schedule("disable_schedule", org_id, integration_type)
        return Schedule.from_row(self._rows(query, conn)[0])

    def delete_schedule(
        self, org_id: uuid.UUID, integration_type: str, *, conn: Any = None
    ) -> Schedule:
        """runlog.delete_schedule."""
        query = queries.change_schedule("delete_schedule", org_id, integration_type)
        return Schedule.from_row(self._rows(query, conn)[0])

    def schedules(self, org_id: uuid.UUID | None = None, *, conn: Any = None) -> list[Schedule]:
        """The schedules the caller may see (of one organisation, if given)."""
        return [Schedule.from_row(row) for row in self._rows(queries.schedules(org_id), conn)]

    def next_slots(
        self,
        cron: str,
        time_zone: str = "UTC",
        after: datetime | None = None,
        n: int = 5,
        *,
        conn: Any = None,
    ) -> list[datetime]:
        """runlog.next_slots: what a schedule will fire."""
        rows = self._rows(queries.next_slots(cron, time_zone, after, n), conn)
        return [row["slot"] for row in rows]

    def tick(
        self, at: datetime | None = None, ticked_by: str = "manual", *, conn: Any = None
    ) -> int:
        """runlog.tick: enqueue due slots; the number enqueued."""
        return int(self._rows(queries.tick(at, ticked_by), conn)[0]["enqueued"])

    def maintain(self, worker_id: str, *, conn: Any = None) -> dict[str, int] | None:
        """runlog.maintain: tick + prewarm + reap, or None when another driver holds the lock."""
        rows = self._rows(queries.maintain(worker_id), conn)
        return {k: int(v) for k, v in rows[0].items()} if rows else None

    def prewarm_signal(self, *, conn: Any = None) -> int:
        """runlog.prewarm: NOTIFY workers of slots within their pre-warm lead; how many."""
        return int(self._rows(queries.prewarm(), conn)[0]["signalled"])

    def reap_stale(self, timeout: timedelta | None = None, *, conn: Any = None) -> int:
        """runlog.reap_stale: the number of runs timed out."""
        return int(self._rows(queries.reap_stale(timeout), conn)[0]["reaped"])

    def prune(self, older_than: timedelta | None = None, *, conn: Any = None) -> int:
        """runlog.prune: the number of runs deleted."""
        return int(self._rows(queries.prune(older_than), conn)[0]["deleted"])

    def install_cron_jobs(self, *, conn: Any = None) -> list[dict[str, Any]]:
        """runlog.install_cron_jobs: the jobs installed (idempotent)."""
        return self._rows(queries.install_cron_jobs(), conn)

    def scheduler_status(self, *, conn: Any = None) -> dict[str, Any]:
        """runlog.scheduler_status: which driver runs the jobs."""
        return self._rows(queries.scheduler_status(), conn)[0]

    def claim_prewarm(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        slot: datetime,
        worker_id: str,
        *,
        conn: Any = None,
    ) -> bool:
        """runlog.claim_prewarm: True for the one worker that pre-warms this slot."""
        query = queries.claim_prewarm(org_id, integration_type, slot, worker_id)
        return bool(self._rows(query, conn)[0]["claimed"])

    def record_prewarm(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        slot: datetime,
        ok: bool,
        latency_ms: int,
        error_message: str | None = None,
        worker_id: str = "",
        *,
        conn: Any = None,
    ) -> None:
        """runlog.record_prewarm."""
        query = queries.record_prewarm(
            org_id, integration_type, slot, ok, latency_ms, error_message, worker_id or None
        )
        self._rows(query, conn)
