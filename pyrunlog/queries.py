"""Every SQL statement the package sends, in one place.

Each function names the SQL function it calls and returns the statement with
its parameters; the repositories only execute them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyrunlog.models import RunStatus, Trigger
from pyrunlog.sanitize import error_text


@dataclass(frozen=True)
class Query:
    """A statement and its named parameters."""

    sql: str
    params: dict[str, Any]


def _value(item: Any) -> Any:
    return item.value if isinstance(item, (RunStatus, Trigger)) else item


def set_claims(org_id: uuid.UUID, role: str | None) -> Query:
    """Scope the current transaction to one organisation (and optionally a role)."""
    claims = json.dumps({"org_id": str(org_id)})
    if role is None:
        return Query(
            "SELECT pg_catalog.set_config('request.jwt.claims', %(claims)s, true)",
            {"claims": claims},
        )
    return Query(
        "SELECT pg_catalog.set_config('request.jwt.claims', %(claims)s, true),"
        " pg_catalog.set_config('role', %(role)s, true)",
        {"claims": claims, "role": role},
    )


def _new_run(
    function: str,
    org_id: uuid.UUID,
    integration_type: str,
    triggered_by: Trigger | str,
    scheduled_for: datetime | None,
    idempotency_key: str | None,
) -> Query:
    return Query(
        f"SELECT * FROM {function}(%(org_id)s, %(integration_type)s, %(triggered_by)s,"
        " %(scheduled_for)s, %(idempotency_key)s)",
        {
            "org_id": org_id,
            "integration_type": integration_type,
            "triggered_by": _value(triggered_by),
            "scheduled_for": scheduled_for,
            "idempotency_key": idempotency_key,
        },
    )


def start_run(
    org_id: uuid.UUID,
    integration_type: str,
    triggered_by: Trigger | str,
    scheduled_for: datetime | None,
    idempotency_key: str | None,
) -> Query:
    """runlog.start_run."""
    return _new_run(
        "runlog.start_run", org_id, integration_type, triggered_by, scheduled_for, idempotency_key
    )


def request_sync(
    org_id: uuid.UUID,
    integration_type: str,
    triggered_by: Trigger | str,
    scheduled_for: datetime | None,
    idempotency_key: str | None,
) -> Query:
    """runlog.request_sync."""
    return _new_run(
        "runlog.request_sync",
        org_id,
        integration_type,
        triggered_by,
        scheduled_for,
        idempotency_key,
    )


def finish_run(
    run_id: int,
    status: RunStatus | str,
    records_processed: int | None,
    records_failed: int | None,
    error_message: str | None,
) -> Query:
    """runlog.finish_run; the error text is made storable first."""
    return Query(
        "SELECT * FROM runlog.finish_run(%(run_id)s::bigint, %(status)s,"
        " %(records_processed)s::bigint, %(records_failed)s::bigint, %(error_message)s)",
        {
            "run_id": run_id,
            "status": _value(status),
            "records_processed": records_processed,
            "records_failed": records_failed,
            "error_message": None if error_message is None else error_text(error_message),
        },
    )


def fail_run(
    run_id: int,
    failure_type: str,
    error_message: str | None,
    retry_after: float | None,
    records_processed: int | None,
    records_failed: int | None,
) -> Query:
    """runlog.fail_run: the failed attempt, then the queued retry if any."""
    return Query(
        "SELECT * FROM runlog.fail_run(%(run_id)s::bigint, %(failure_type)s,"
        " %(error_message)s, %(retry_after)s::double precision,"
        " %(records_processed)s::bigint, %(records_failed)s::bigint)",
        {
            "run_id": run_id,
            "failure_type": failure_type,
            "error_message": None if error_message is None else error_text(error_message),
            "retry_after": retry_after,
            "records_processed": records_processed,
            "records_failed": records_failed,
        },
    )


def retry_period(org_id: uuid.UUID, idempotency_key: str) -> Query:
    """runlog.retry_period."""
    return Query(
        "SELECT * FROM runlog.retry_period(%(org_id)s::uuid, %(key)s)",
        {"org_id": org_id, "key": idempotency_key},
    )


def resume_schedule(org_id: uuid.UUID, integration_type: str) -> Query:
    """runlog.resume_schedule."""
    return Query(
        "SELECT * FROM runlog.resume_schedule(%(org_id)s::uuid, %(integration_type)s)",
        {"org_id": org_id, "integration_type": integration_type},
    )


def periods(state: str | None, org_id: uuid.UUID | None, limit: int) -> Query:
    """runlog.sync_periods, newest attempts first, optionally of one state and organisation."""
    return Query(
        "SELECT * FROM runlog.sync_periods"
        " WHERE (%(state)s::text IS NULL OR state = %(state)s)"
        " AND (%(org_id)s::uuid IS NULL OR org_id = %(org_id)s)"
        " ORDER BY last_run_id DESC LIMIT %(limit)s",
        {"state": state, "org_id": org_id, "limit": limit},
    )


def heartbeat(run_id: int, records_processed: int | None, records_failed: int | None) -> Query:
    """runlog.heartbeat."""
    return Query(
        "SELECT * FROM runlog.heartbeat(%(run_id)s::bigint, %(records_processed)s::bigint,"
        " %(records_failed)s::bigint)",
        {
            "run_id": run_id,
            "records_processed": records_processed,
            "records_failed": records_failed,
        },
    )


def last_runs(org_id: uuid.UUID | None) -> Query:
    """runlog.last_runs."""
    return Query("SELECT * FROM runlog.last_runs(%(org_id)s::uuid)", {"org_id": org_id})


def run_history(
    org_id: uuid.UUID | None,
    integration_type: str | None,
    max_rows: int,
    before_id: int | None,
) -> Query:
    """runlog.run_history."""
    return Query(
        "SELECT * FROM runlog.run_history(%(org_id)s::uuid, %(integration_type)s::text,"
        " %(max_rows)s::integer, %(before_id)s::bigint)",
        {
            "org_id": org_id,
            "integration_type": integration_type,
            "max_rows": max_rows,
            "before_id": before_id,
        },
    )


def claim_next(worker_id: str, integration_types: Sequence[str] | None) -> Query:
    """runlog.claim_next."""
    return Query(
        "SELECT * FROM runlog.claim_next(%(worker_id)s, %(integration_types)s::text[])",
        {
            "worker_id": worker_id,
            "integration_types": None if integration_types is None else list(integration_types),
        },
    )


def claim_runs(worker_id: str, integration_types: Sequence[str] | None, max_runs: int) -> Query:
    """runlog.claim_runs."""
    return Query(
        "SELECT * FROM runlog.claim_runs(%(worker_id)s, %(integration_types)s::text[],"
        " %(max_runs)s::integer)",
        {
            "worker_id": worker_id,
            "integration_types": None if integration_types is None else list(integration_types),
            "max_runs": max_runs,
        },
    )


def finish_and_claim(
    run_id: int,
    status: RunStatus | str,
    records_processed: int | None,
    records_failed: int | None,
    error_message: str | None,
    worker_id: str,
    integration_types: Sequence[str] | None,
) -> Query:
    """runlog.finish_and_claim; the error text is made storable first."""
    finish = finish_run(run_id, status, records_processed, records_failed, error_message)
    return Query(
        "SELECT * FROM runlog.finish_and_claim(%(run_id)s::bigint, %(status)s,"
        " %(records_processed)s::bigint, %(records_failed)s::bigint, %(error_message)s,"
        " %(worker_id)s, %(integration_types)s::text[])",
        {
            **finish.params,
            "worker_id": worker_id,
            "integration_types": None if integration_types is None else list(integration_types),
        },
    )


def cancel_run(run_id: int, reason: str | None) -> Query:
    """runlog.cancel_run; the reason is made storable first."""
    return Query(
        "SELECT * FROM runlog.cancel_run(%(run_id)s::bigint, %(reason)s)",
        {"run_id": run_id, "reason": None if reason is None else error_text(reason)},
    )


def version() -> Query:
    """runlog.version."""
    return Query("SELECT runlog.version() AS version", {})


SCHEDULE_COLUMNS = (
    "id, org_id, integration_type, cron, time_zone, enabled, catch_up, prewarm_lead,"
    " next_slot, last_slot"
)
# runlog.sync_schedule with its place in time (runlog.schedule_slot)
SCHEDULES_WITH_SLOTS = (
    "runlog.sync_schedule JOIN runlog.schedule_slot ON schedule_slot.schedule_id = sync_schedule.id"
)


def set_schedule(
    org_id: uuid.UUID,
    integration_type: str,
    cron: str,
    time_zone: str,
    catch_up: str,
    prewarm_lead: timedelta,
    enabled: bool,
) -> Query:
    """runlog.set_schedule."""
    return Query(
        f"SELECT {SCHEDULE_COLUMNS} FROM runlog.set_schedule(%(org_id)s, %(integration_type)s,"
        " %(cron)s, %(time_zone)s, %(catch_up)s, %(prewarm_lead)s, %(enabled)s)",
        {
            "org_id": org_id,
            "integration_type": integration_type,
            "cron": cron,
            "time_zone": time_zone,
            "catch_up": catch_up,
            "prewarm_lead": prewarm_lead,
            "enabled": enabled,
        },
    )


def change_schedule(function: str, org_id: uuid.UUID, integration_type: str) -> Query:
    """runlog.enable_schedule, disable_schedule or delete_schedule."""
    if function not in ("enable_schedule", "disable_schedule", "delete_schedule"):
        raise ValueError(f"not a schedule function: {function}")
    return Query(
        f"SELECT {SCHEDULE_COLUMNS} FROM runlog.{function}(%(org_id)s, %(integration_type)s)",
        {"org_id": org_id, "integration_type": integration_type},
    )


def schedules(org_id: uuid.UUID | None) -> Query:
    """The schedules (of one organisation), by organisation and integration."""
    return Query(
        f"SELECT {SCHEDULE_COLUMNS} FROM {SCHEDULES_WITH_SLOTS}"
        " WHERE %(org_id)s::uuid IS NULL OR org_id = %(org_id)s::uuid"
        " ORDER BY org_id, integration_type",
        {"org_id": org_id},
    )


def next_slots(cron: str, time_zone: str, after: datetime | None, n: int) -> Query:
    """runlog.next_slots."""
    return Query(
        "SELECT slot FROM runlog.next_slots(%(cron)s, %(time_zone)s,"
        " coalesce(%(after)s::timestamptz, now()), %(n)s::integer) AS slot",
        {"cron": cron, "time_zone": time_zone, "after": after, "n": n},
    )


def tick(at: datetime | None, ticked_by: str) -> Query:
    """runlog.tick."""
    return Query(
        "SELECT runlog.tick(coalesce(%(at)s::timestamptz, now()), %(by)s) AS enqueued",
        {"at": at, "by": ticked_by},
    )


def maintain(worker_id: str) -> Query:
    """runlog.maintain: tick, prewarm and reap for deployments without pg_cron."""
    return Query("SELECT * FROM runlog.maintain(%(worker_id)s)", {"worker_id": worker_id})


def maintain_retention(worker_id: str) -> Query:
    """runlog.maintain_retention: the daily prune for deployments without pg_cron."""
    return Query(
        "SELECT runlog.maintain_retention(%(worker_id)s) AS deleted", {"worker_id": worker_id}
    )


def prewarm() -> Query:
    """runlog.prewarm."""
    return Query("SELECT runlog.prewarm() AS signalled", {})


def reap_stale(timeout: timedelta | None) -> Query:
    """runlog.reap_stale."""
    return Query("SELECT runlog.reap_stale(%(timeout)s::interval) AS reaped", {"timeout": timeout})


def prune(older_than: timedelta | None) -> Query:
    """runlog.prune."""
    return Query("SELECT runlog.prune(%(older)s::interval) AS deleted", {"older": older_than})


def install_cron_jobs() -> Query:
    """runlog.install_cron_jobs."""
    return Query("SELECT * FROM runlog.install_cron_jobs()", {})


def scheduler_status() -> Query:
    """runlog.scheduler_status."""
    return Query("SELECT * FROM runlog.scheduler_status()", {})


def claim_prewarm(
    org_id: uuid.UUID, integration_type: str, slot: datetime, worker_id: str
) -> Query:
    """runlog.claim_prewarm."""
    return Query(
        "SELECT runlog.claim_prewarm(%(org_id)s, %(integration_type)s, %(slot)s, %(worker_id)s)"
        " AS claimed",
        {"org_id": org_id, "integration_type": integration_type, "slot": slot,
         "worker_id": worker_id},
    )  # fmt: skip


def record_prewarm(
    org_id: uuid.UUID,
    integration_type: str,
    slot: datetime,
    ok: bool,
    latency_ms: int,
    error_message: str | None,
    worker_id: str | None,
) -> Query:
    """runlog.record_prewarm; the error text is made storable first."""
    return Query(
        "SELECT id FROM runlog.record_prewarm(%(org_id)s, %(integration_type)s, %(slot)s,"
        " %(ok)s, %(latency_ms)s::integer, %(error)s, %(worker_id)s)",
        {
            "org_id": org_id,
            "integration_type": integration_type,
            "slot": slot,
            "ok": ok,
            "latency_ms": latency_ms,
            "error": None if error_message is None else error_text(error_message),
            "worker_id": worker_id,
        },
    )


def claim_health_checks(
    worker_id: str, integration_types: Sequence[str], max_checks: int, at: datetime | None = None
) -> Query:
    """runlog.claim_health_checks at the database's clock; with ``at`` claim_health_checks_at."""
    params = {"worker_id": worker_id, "types": list(integration_types), "max_checks": max_checks}
    if at is None:
        return Query(
            "SELECT * FROM runlog.claim_health_checks(%(worker_id)s, %(types)s::text[],"
            " %(max_checks)s::integer)",
            params,
        )
    return Query(
        "SELECT * FROM runlog.claim_health_checks_at(%(worker_id)s, %(types)s::text[],"
        " %(at)s::timestamptz, %(max_checks)s::integer)",
        {**params, "at": at},
    )


def claim_prewarms(worker_id: str, integration_types: Sequence[str], max_claims: int) -> Query:
    """runlog.claim_prewarms: the planned pre-warms this worker runs."""
    return Query(
        "SELECT * FROM runlog.claim_prewarms(%(worker_id)s, %(types)s::text[],"
        " %(max_claims)s::integer)",
        {"worker_id": worker_id, "types": list(integration_types), "max_claims": max_claims},
    )


def recent_alerts(after_id: int | None, max_alerts: int) -> Query:
    """runlog.recent_alerts: the alerts after after_id (the last minute's without)."""
    return Query(
        "SELECT * FROM runlog.recent_alerts(%(after_id)s::bigint, %(max_alerts)s::integer)",
        {"after_id": after_id, "max_alerts": max_alerts},
    )


def bind_login(login: str, org_id: uuid.UUID) -> Query:
    """runlog.bind_login (runlog_admin)."""
    return Query(
        "SELECT login, org_id FROM runlog.bind_login(%(login)s, %(org_id)s)",
        {"login": login, "org_id": org_id},
    )


def unbind_login(login: str) -> Query:
    """runlog.unbind_login (runlog_admin)."""
    return Query("SELECT runlog.unbind_login(%(login)s) AS unbound", {"login": login})


def record_health_check(
    org_id: uuid.UUID,
    integration_type: str,
    ok: bool,
    latency_ms: int,
    error_message: str | None,
    claimed_at: datetime | None,
) -> Query:
    """runlog.record_health_check; the error text is made storable first."""
    return Query(
        "SELECT state FROM runlog.record_health_check(%(org_id)s, %(integration_type)s, %(ok)s,"
        " %(latency_ms)s::integer, %(error)s, %(claimed_at)s)",
        {
            "org_id": org_id,
            "integration_type": integration_type,
            "ok": ok,
            "latency_ms": latency_ms,
            "error": None if error_message is None else error_text(error_message),
            "claimed_at": claimed_at,
        },
    )


def set_health_mode(integration_type: str, mode: str, org_id: uuid.UUID | None) -> Query:
    """runlog.set_health_mode."""
    return Query(
        "SELECT mode FROM runlog.set_health_mode(%(integration_type)s, %(mode)s, %(org_id)s::uuid)",
        {"integration_type": integration_type, "mode": mode, "org_id": org_id},
    )


def health_overview(org_id: uuid.UUID | None) -> Query:
    """runlog.health_overview."""
    return Query("SELECT * FROM runlog.health_overview(%(org_id)s::uuid)", {"org_id": org_id})


def integration_known(integration_type: str) -> Query:
    """Whether any schedule names an integration type, or any run of it ever started."""
    return Query(
        "SELECT EXISTS (SELECT FROM runlog.sync_schedule WHERE integration_type = %(it)s)"
        " OR EXISTS (SELECT FROM runlog.sync_run_log"
        " WHERE integration_type = %(it)s AND started_at IS NOT NULL) AS known",
        {"it": integration_type},
    )


def organisations() -> Query:
    """The organisations that have runs (a loose index scan, one probe each)."""
    return Query(
        "WITH RECURSIVE orgs AS ("
        " (SELECT r.org_id FROM runlog.sync_run_log AS r ORDER BY r.org_id LIMIT 1)"
        " UNION ALL"
        " SELECT (SELECT r.org_id FROM runlog.sync_run_log AS r WHERE r.org_id > o.org_id"
        "         ORDER BY r.org_id LIMIT 1)"
        " FROM orgs AS o WHERE o.org_id IS NOT NULL)"
        " SELECT org_id FROM orgs WHERE org_id IS NOT NULL",
        {},
    )


def reads_runs() -> Query:
    """Whether the caller reads any runs: workers and admins all, a reader its organisation's."""
    return Query(
        "SELECT pg_catalog.pg_has_role('runlog_worker', 'MEMBER')"
        " OR runlog.current_org_id() IS NOT NULL AS reads",
        {},
    )


def holds_role(role: str) -> Query:
    """Whether the current login has the privileges of a role (directly or inherited)."""
    return Query("SELECT pg_catalog.pg_has_role(%(role)s, 'USAGE') AS holds", {"role": role})
