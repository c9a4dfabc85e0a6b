"""`pyrunlog doctor`: what needs attention in a deployment, and what to do about it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from pyrunlog.migrate import latest_version
from pyrunlog.wording import count_of

Conn = psycopg.Connection[Any]
CRON_JOBS = ("runlog_tick", "runlog_prewarm", "runlog_reaper", "runlog_retention")
ROLES = ("runlog_reader", "runlog_worker", "runlog_admin")


class Level(str, enum.Enum):
    """How urgent a finding is."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One thing doctor checked: what it found and, if needed, what to do."""

    check: str
    level: Level
    message: str
    fix: str | None = None


def _one(conn: Conn, sql: str, *params: Any) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def check_server(conn: Conn) -> list[Finding]:
    version = _one(conn, "SELECT current_setting('server_version')")
    return [Finding("server", Level.OK, f"PostgreSQL {version}")]


def check_schema(conn: Conn) -> list[Finding]:
    wanted = latest_version()
    if _one(conn, "SELECT to_regprocedure('runlog.version()')") is None:
        return [
            Finding(
                "schema",
                Level.FAIL,
                "schema runlog is not installed",
                "run: pyrunlog migrate --dsn ...",
            )
        ]
    deployed = int(_one(conn, "SELECT runlog.version()") or 0)
    if deployed < wanted:
        return [
            Finding(
                "schema",
                Level.FAIL,
                f"schema is at {deployed:04d}, this pyrunlog brings {wanted:04d}",
                "run: pyrunlog migrate --dsn ...",
            )
        ]
    if deployed > wanted:
        return [
            Finding(
                "schema",
                Level.FAIL,
                f"schema is at {deployed:04d}, newer than this pyrunlog ({wanted:04d})",
                "upgrade pyrunlog (pip install -U pyrunlog)",
            )
        ]
    return [Finding("schema", Level.OK, f"schema version {deployed:04d} matches the package")]


def check_roles(conn: Conn) -> list[Finding]:
    present = {
        r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'runlog%'")
    }
    missing = [role for role in ROLES if role not in present]
    if missing:
        return [
            Finding(
                "roles",
                Level.FAIL,
                f"missing roles: {', '.join(missing)}",
                "run pyrunlog migrate as a role with CREATEROLE",
            )
        ]
    return [Finding("roles", Level.OK, ", ".join(ROLES) + " present")]


def _can_read_settings(conn: Conn) -> bool:
    """Whether this login may read superuser-only settings (shared_preload_libraries)."""
    return bool(_one(conn, "SELECT pg_has_role('pg_read_all_settings', 'USAGE')"))


def _check_preload(conn: Conn, driver: str | None) -> Finding:
    if not _can_read_settings(conn):
        return Finding(
            "pg_cron",
            Level.WARN,
            "could not check whether pg_cron is loaded: reading shared_preload_libraries"
            " needs the privileges of pg_read_all_settings",
            "GRANT pg_read_all_settings (or pg_monitor) TO the login doctor runs as",
        )
    preload = _one(conn, "SELECT current_setting('shared_preload_libraries')") or ""
    cron_db = _one(conn, "SELECT current_setting('cron.database_name', true)")
    installed = _one(conn, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
    if "pg_cron" in preload:
        where = f"pg_cron loaded, cron.database_name = {cron_db}"
        return Finding(
            "pg_cron", Level.OK, where + ("" if installed else " (extension not created here)")
        )
    return Finding(
        "pg_cron",
        Level.OK if driver == "worker" else Level.WARN,
        "pg_cron is not loaded",
        None
        if driver == "worker"
        else "set shared_preload_libraries = pg_cron and cron.database_name, restart, "
        "CREATE EXTENSION pg_cron; or run workers with --tick",
    )


def _last_tick(at: Any, by: str | None) -> str:
    """When and by whom tick last ran, in words ("never" before the first tick)."""
    if at is None:
        return "never"
    return f"{at:%Y-%m-%d %H:%M:%S %Z}".strip() + (f" by {by}" if by else "")


def check_scheduler(conn: Conn) -> list[Finding]:
    try:
        driver, jobs, last_tick_at, last_tick_by = conn.execute(
            "SELECT driver, cron_jobs, last_tick_at, last_tick_by FROM runlog.scheduler_status()"
        ).fetchone() or (None, 0, None, None)
    except psycopg.errors.InsufficientPrivilege as exc:  # the schema owner may not use pg_cron
        hint = exc.diag.message_hint if exc.diag else None
        return [
            _check_preload(conn, None),
            Finding("scheduler", Level.FAIL, str(exc.diag.message_primary or exc), hint),
        ]
    findings = [_check_preload(conn, driver)]
    if driver == "none":
        findings.append(
            Finding(
                "scheduler",
                Level.FAIL,
                f"nothing drives tick (last tick {_last_tick(last_tick_at, last_tick_by)})",
                "run: pyrunlog cron install; or start a worker with --tick",
            )
        )
    else:
        findings.append(
            Finding(
                "scheduler",
                Level.OK,
                f"{driver} drives tick (last tick {_last_tick(last_tick_at, last_tick_by)})",
            )
        )
    findings += check_tick(conn)
    if jobs:
        findings += _check_cron_jobs(conn)
    return findings


TICK_STALE = "2 minutes"


def check_tick(conn: Conn) -> list[Finding]:
    """A tick that stopped, and schedules whose next slot is overdue (lost or late slots)."""
    last_tick, stale = conn.execute(
        "SELECT last_tick_at, coalesce(last_tick_at < now() - %s::interval, true)"
        " FROM runlog.scheduler_status()",
        [TICK_STALE],
    ).fetchone() or (None, True)
    overdue, oldest = conn.execute(
        "SELECT count(*), min(n.next_slot) FROM runlog.schedule_slot n"
        " JOIN runlog.sync_schedule c ON c.id = n.schedule_id, runlog.settings s"
        " WHERE c.enabled AND n.next_slot < now() - s.tick_interval"
    ).fetchone() or (0, None)
    return [
        _verdict(
            "tick",
            f"tick has not run for more than {TICK_STALE} (last tick {_last_tick(last_tick, None)})"
            if stale
            else None,
            Level.FAIL,
            "see the cron runlog_tick finding (cron.job_run_details) or the --tick worker's log;"
            " SELECT runlog.tick() runs it once by hand",
            f"tick ran within the last {TICK_STALE}",
        ),
        _verdict(
            "late slots",
            f"{overdue} schedules have a slot more than one tick interval in the past"
            f" (oldest {oldest}); their runs are not being enqueued"
            if overdue
            else None,
            Level.FAIL,
            "make tick run again (see the tick and scheduler findings); the next tick enqueues"
            " these slots under each schedule's catch-up policy. If tick runs less often than"
            " every minute: UPDATE runlog.settings SET tick_interval = ...",
            "every schedule's next slot is within one tick interval",
        ),
    ]


def _check_cron_jobs(conn: Conn) -> list[Finding]:
    rows = conn.execute(
        "SELECT jobname, active, last_status, last_end, last_message FROM runlog.cron_job_status()"
    ).fetchall()
    found = {row[0]: row for row in rows}
    findings = []
    for name in CRON_JOBS:
        if name not in found:
            findings.append(
                Finding(f"cron {name}", Level.FAIL, "job missing", "run: pyrunlog cron install")
            )
            continue
        _, active, status, end_time, message = found[name]
        if not active:
            findings.append(
                Finding(
                    f"cron {name}",
                    Level.FAIL,
                    "job inactive",
                    "as the job's owner: SELECT cron.alter_job(jobid, active := true)"
                    " FROM cron.job WHERE jobname = ...",
                )
            )
        elif status == "failed":
            findings.append(
                Finding(
                    f"cron {name}",
                    Level.FAIL,
                    f"last run failed: {message}",
                    "see SELECT * FROM runlog.cron_job_status(); fix the cause",
                )
            )
        else:
            findings.append(
                Finding(
                    f"cron {name}",
                    Level.OK,
                    f"last run {status or 'not yet'} {end_time or ''}".strip(),
                )
            )
    return findings


def _verdict(check: str, problem: str | None, level: Level, fix: str, fine: str) -> Finding:
    """The finding of a check: the problem with its fix, or that all is fine."""
    if problem is None:
        return Finding(check, Level.OK, fine)
    return Finding(check, level, problem, fix)


def _listing(rows: list[tuple[Any, ...]]) -> str | None:
    return ", ".join(f"{kind} ({n})" for kind, n in rows) if rows else None


def check_runs(conn: Conn) -> list[Finding]:
    stuck = _one(
        conn,
        "SELECT count(*) FROM runlog.sync_run_log r, runlog.settings s WHERE r.status = 'running'"
        " AND coalesce(r.heartbeat_at, r.started_at) < now() - s.heartbeat_timeout",
    )
    late = _listing(
        conn.execute(
            # Due at run_after (a retry's backoff, a re-queued period: now), and not
            # before a rate-limit hold ends: a retry waiting on purpose is not late.
            "SELECT r.integration_type, count(*) FROM runlog.settings s, runlog.sync_run_log r"
            " LEFT JOIN runlog.integration_holds h"
            " ON h.org_id = r.org_id AND h.integration_type = r.integration_type"
            " WHERE r.status = 'queued' AND greatest("
            "coalesce(r.run_after, r.scheduled_for, r.queued_at), h.held_until"
            ") < now() - s.drift_threshold"
            " GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    )
    return [
        _verdict(
            "stuck runs",
            f"{stuck} running runs have no heartbeat for longer than the timeout"
            if stuck
            else None,
            Level.FAIL,
            "the reaper is not running: SELECT runlog.reap_stale(); "
            "check the runlog_reaper job or start a worker with --tick",
            "no running run without heartbeat",
        ),
        _verdict(
            "late queued runs",
            f"queued runs waiting past the drift threshold: {late}" if late else None,
            Level.FAIL,
            "start workers that handle these integration types",
            "no queued run is late",
        ),
    ]


def check_alerts(conn: Conn) -> list[Finding]:
    drifted, worst = conn.execute(
        "SELECT count(*), max(drift_seconds) FROM runlog.drift_alerts"
        " WHERE started_at > now() - interval '24 hours'"
    ).fetchone() or (0, None)
    # Only integrations that are pre-warmed can start cold: a handler without a
    # prewarm hook never has a prewarm_log row (claim_prewarms writes them).
    cold = _one(
        conn,
        "SELECT count(*) FROM runlog.cold_starts c"
        " WHERE c.started_at > now() - interval '24 hours' AND EXISTS ("
        "   SELECT FROM runlog.prewarm_log p WHERE p.integration_type = c.integration_type)",
    )
    unhealthy = _listing(
        conn.execute(
            "SELECT integration_type, count(*) FROM runlog.integration_health"
            " WHERE state = 'unhealthy' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    return [
        _verdict(
            "drift",
            f"{count_of(drifted, 'run')} started late in the last 24 hours (worst {worst:.0f}s)"
            if drifted
            else None,
            Level.WARN,
            "see runlog.drift_alerts; add workers or concurrency, or spread schedules",
            "no drift alerts in the last 24 hours",
        ),
        _verdict(
            "cold starts",
            f"{count_of(cold, 'scheduled run')} started without a pre-warm in the last 24 hours"
            if cold
            else None,
            Level.WARN,
            "see runlog.cold_starts and runlog.prewarm_log for failing pre-warms",
            "no cold starts in the last 24 hours (of integrations with a pre-warm hook)",
        ),
        _verdict(
            "health",
            f"unhealthy integrations: {unhealthy}" if unhealthy else None,
            Level.WARN,
            "see pyrunlog health --org ...; last_error says why",
            "no unhealthy integration",
        ),
    ]


def check_retries(conn: Conn) -> list[Finding]:
    # A later success of the integration dismisses a dead period (docs/retries.md).
    dead = _listing(
        conn.execute(
            "SELECT p.integration_type, count(*) FROM runlog.sync_periods p"
            " WHERE p.state = 'dead' AND NOT EXISTS ("
            "SELECT FROM runlog.sync_run_log r WHERE r.org_id = p.org_id"
            " AND r.integration_type = p.integration_type"
            " AND r.status IN ('succeeded', 'partial') AND r.started_at > p.last_attempt_at)"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    paused = conn.execute(
        "SELECT org_id, integration_type, paused_reason FROM runlog.sync_schedule"
        " WHERE paused_at IS NOT NULL AND NOT enabled ORDER BY paused_at"
    ).fetchall()
    return [
        _verdict(
            "dead periods",
            f"dead periods since their integration last succeeded: {dead}" if dead else None,
            Level.WARN,
            "pyrunlog periods --dead shows why; fix the cause, then pyrunlog retry --org ORG KEY"
            " (a later success of the integration dismisses them too)",
            "no dead period since its integration last succeeded",
        ),
        _verdict(
            "auto-paused schedules",
            "; ".join(f"{kind} of {org}: {reason}" for org, kind, reason in paused)
            if paused
            else None,
            Level.FAIL,
            "fix the cause (see pyrunlog periods --dead), then"
            " pyrunlog schedule resume --org ORG INTEGRATION",
            "no schedule paused automatically",
        ),
    ]


CHECKS: list[Callable[[Conn], list[Finding]]] = [
    check_server,
    check_schema,
    check_roles,
    check_scheduler,
    check_runs,
    check_alerts,
    check_retries,
]


def diagnose(conn: Conn) -> list[Finding]:
    """Run every check; the checks after a failed schema check are skipped."""
    findings: list[Finding] = []
    for check in CHECKS:
        found = check(conn)
        findings += found
        if check is check_schema and any(f.level is Level.FAIL for f in found):
            break
    return findings
