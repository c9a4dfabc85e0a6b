"""doctor finds what needs attention, each with what to do."""

from __future__ import annotations

import uuid

import psycopg

from pyrunlog.doctor import Level, diagnose
from pyrunlog.repository import RunLog
from tests.helpers import Conn

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000dd")


def findings(conn: Conn) -> dict[str, tuple[Level, str, str | None]]:
    return {f.check: (f.level, f.message, f.fix) for f in diagnose(conn)}


def test_a_healthy_deployment_driven_by_a_worker_is_all_ok(conn: Conn, runlog: RunLog) -> None:
    runlog.maintain("w1")  # a worker drives tick
    found = findings(conn)
    assert {check: level for check, (level, _, _) in found.items() if level is not Level.OK} == {}


def test_nothing_driving_tick_is_a_failure_with_its_fix(conn: Conn) -> None:
    level, message, fix = findings(conn)["scheduler"]
    assert level is Level.FAIL
    assert "nothing drives tick" in message
    assert fix is not None
    assert "pyrunlog cron install" in fix


def test_stuck_and_late_runs_are_failures(conn: Conn, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger")
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'"
                 " WHERE id = %s", [run.id])  # fmt: skip
    runlog.request_sync(ORG, "visma")
    conn.execute("UPDATE runlog.sync_run_log SET queued_at = now() - interval '1 hour'"
                 " WHERE status = 'queued'")  # fmt: skip
    found = findings(conn)
    assert found["stuck runs"][0] is Level.FAIL
    assert "reap_stale" in (found["stuck runs"][2] or "")
    assert found["late queued runs"][0] is Level.FAIL
    assert "visma (1)" in found["late queued runs"][1]


def test_drift_cold_starts_and_unhealthy_integrations_are_warnings(
    conn: Conn, runlog: RunLog
) -> None:
    late = "SELECT runlog.start_run(%s, 'xledger', 'scheduler', now() - interval '9 minutes')"
    conn.execute(late, [ORG])
    found = findings(conn)
    assert found["drift"][0] is Level.WARN
    assert found["cold starts"][0] is Level.WARN
    conn.execute("INSERT INTO runlog.integration_health (org_id, integration_type, state)"
                 " VALUES (%s, 'tripletex', 'unhealthy')", [ORG])  # fmt: skip
    level, message, _ = findings(conn)["health"]
    assert level is Level.WARN
    assert "tripletex (1)" in message


def test_a_missing_schema_stops_the_other_checks(empty_dsn: str) -> None:
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        found = diagnose(conn)
    assert [f.check for f in found] == ["server", "schema"]
    assert found[-1].level is Level.FAIL
    assert found[-1].fix == "run: pyrunlog migrate --dsn ..."


def test_missing_cron_jobs_are_failures(cron_dsn: str) -> None:
    with psycopg.connect(cron_dsn, autocommit=True) as conn:
        conn.execute("SELECT * FROM runlog.install_cron_jobs()")
        conn.execute("SELECT cron.unschedule('runlog_reaper')")
        found = findings(conn)
    assert found["scheduler"][0] is Level.OK
    assert found["cron runlog_reaper"][0] is Level.FAIL
    assert found["cron runlog_tick"][0] is Level.OK
