"""The scheduling and health part of the SQL API, mixed into RunLog."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pyrunlog import queries
from pyrunlog.models import CatchUp, HealthRow, Schedule


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

    def maintain_retention(self, worker_id: str, *, conn: Any = None) -> int | None:
        """runlog.maintain_retention: runs deleted; None when not due or another worker prunes."""
        deleted = self._rows(queries.maintain_retention(worker_id), conn)[0]["deleted"]
        return None if deleted is None else int(deleted)

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

    def claim_prewarms(
        self,
        worker_id: str,
        integration_types: Sequence[str],
        max_claims: int = 10,
        *,
        conn: Any = None,
    ) -> list[tuple[uuid.UUID, str, datetime]]:
        """runlog.claim_prewarms: (org_id, integration_type, slot) this worker pre-warms."""
        query = queries.claim_prewarms(worker_id, integration_types, max_claims)
        return [(r["org_id"], r["integration_type"], r["slot"]) for r in self._rows(query, conn)]

    def recent_alerts(
        self, after_id: int | None = None, max_alerts: int = 100, *, conn: Any = None
    ) -> list[dict[str, Any]]:
        """runlog.recent_alerts: alert rows after after_id, oldest first."""
        return self._rows(queries.recent_alerts(after_id, max_alerts), conn)

    def bind_login(self, login: str, org_id: uuid.UUID, *, conn: Any = None) -> None:
        """runlog.bind_login: this LOGIN role acts for org_id only, whatever claim it sets."""
        self._rows(queries.bind_login(login, org_id), conn)

    def unbind_login(self, login: str, *, conn: Any = None) -> bool:
        """runlog.unbind_login: True when the login was bound."""
        return bool(self._rows(queries.unbind_login(login), conn)[0]["unbound"])

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

    # -- health ------------------------------------------------------------------

    def claim_health_checks(
        self,
        worker_id: str,
        integration_types: Sequence[str],
        max_checks: int = 10,
        *,
        at: datetime | None = None,
        conn: Any = None,
    ) -> list[tuple[uuid.UUID, str, datetime]]:
        """runlog.claim_health_checks: (org_id, integration_type, claimed_at) to check now.

        ``at`` claims as if it were that time (claim_health_checks_at: runlog_admin only).
        """
        query = queries.claim_health_checks(worker_id, integration_types, max_checks, at)
        rows = self._rows(query, conn)
        return [(r["org_id"], r["integration_type"], r["claimed_at"]) for r in rows]

    def record_health_check(
        self,
        org_id: uuid.UUID,
        integration_type: str,
        ok: bool,
        latency_ms: int,
        error_message: str | None = None,
        claimed_at: datetime | None = None,
        *,
        conn: Any = None,
    ) -> str:
        """runlog.record_health_check: the new state."""
        query = queries.record_health_check(
            org_id, integration_type, ok, latency_ms, error_message, claimed_at
        )
        return str(self._rows(query, conn)[0]["state"])

    def set_health_mode(
        self, integration_type: str, mode: str, org_id: uuid.UUID | None = None, *, conn: Any = None
    ) -> str:
        """runlog.set_health_mode (runlog_admin)."""
        return str(
            self._rows(queries.set_health_mode(integration_type, mode, org_id), conn)[0]["mode"]
        )

    def health_overview(
        self, org_id: uuid.UUID | None = None, *, conn: Any = None
    ) -> list[HealthRow]:
        """runlog.health_overview: health, mode, next check and last run per integration."""
        return [HealthRow(**row) for row in self._rows(queries.health_overview(org_id), conn)]
