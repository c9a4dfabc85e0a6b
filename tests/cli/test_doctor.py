"""doctor finds what needs attention, each with what to do.

doctor runs as a runlog_admin login, as on-call would run it. Where a test
fakes elapsed time (a stale heartbeat, an overdue slot, an old tick) it
back-dates rows through the superuser connection `conn`: no role may write
those columns, and waiting real minutes is not a test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import psycopg
from psycopg.conninfo import make_conninfo

from pyrunlog.doctor import Level, diagnose
from pyrunlog.repository import RunLog
from tests.conftest import Logins
from tests.helpers import Conn

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000dd")


def findings(dsn: str) -> dict[str, tuple[Level, str, str | None]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {f.check: (f.level, f.message, f.fix) for f in diagnose(conn)}


def not_ok(found: dict[str, tuple[Level, str, str | None]]) -> dict[str, Level]:
    return {check: level for check, (level, _, _) in found.items() if level is not Level.OK}


def test_a_healthy_deployment_driven_by_a_worker_is_all_ok(
    worker_dsn: str, login_role: Callable[[str], str], dsn: str
) -> None:
    with RunLog(worker_dsn) as worker:
        worker.maintain("w1")  # a worker drives tick
    monitor = login_role("runlog_admin")
    with psycopg.connect(dsn, autocommit=True) as superuser:  # roles are the superuser's job
        superuser.execute(f'GRANT pg_read_all_settings TO "{monitor}"')
    found = findings(make_conninfo(dsn, user=monitor))
    assert not_ok(found) == {}
    assert "pg_cron loaded" in found["pg_cron"][1]
    assert re.fullmatch(
        r"worker drives tick \(last tick \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ by .*w1.*\)",
        found["scheduler"][1],
    ), found["scheduler"][1]


def test_runlog_admin_alone_is_told_what_it_could_not_check(
    worker_dsn: str, admin_dsn: str
) -> None:
    with RunLog(worker_dsn) as worker:
        worker.maintain("w1")
    found = findings(admin_dsn)
    assert not_ok(found) == {"pg_cron": Level.WARN}
    _, message, fix = found["pg_cron"]
    assert "could not check" in message
    assert fix is not None
    assert "pg_read_all_settings" in fix
    assert "pg_monitor" in fix


def test_overdue_slots_and_a_stale_tick_are_failures_with_their_fix(
    admin_dsn: str, conn: Conn
) -> None:
    with RunLog(admin_dsn) as admin:
        admin.maintain("w1")
    with psycopg.connect(admin_dsn, autocommit=True) as admin_conn:
        admin_conn.execute("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *')", [ORG])
    assert "late slots" not in not_ok(findings(admin_dsn))
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = now() - interval '3 minutes'")
    conn.execute("UPDATE runlog.scheduler_state SET last_tick_at = now() - interval '3 minutes'")
    found = findings(admin_dsn)
    level, message, fix = found["late slots"]
    assert level is Level.FAIL
    assert message.startswith("1 schedules have a slot more than one tick interval in the past")
    assert fix is not None
    assert "tick" in fix
    level, message, fix = found["tick"]
    assert level is Level.FAIL
    assert "tick has not run for more than 2 minutes" in message
    assert fix is not None
    assert "runlog_tick" in fix


def test_nothing_driving_tick_is_a_failure_with_its_fix(admin_dsn: str) -> None:
    level, message, fix = findings(admin_dsn)["scheduler"]
    assert level is Level.FAIL
    assert message == "nothing drives tick (last tick never)"
    assert fix is not None
    assert "pyrunlog cron install" in fix


def test_stuck_and_late_runs_are_failures(conn: Conn, worker_dsn: str, admin_dsn: str) -> None:
    with RunLog(worker_dsn) as runlog:
        run = runlog.start_run(ORG, "xledger")
        runlog.request_sync(ORG, "visma")
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'"
                 " WHERE id = %s", [run.id])  # fmt: skip
    conn.execute("UPDATE runlog.sync_run_log SET queued_at = now() - interval '1 hour'"
                 " WHERE status = 'queued'")  # fmt: skip
    found = findings(admin_dsn)
    assert found["stuck runs"][0] is Level.FAIL
    assert "reap_stale" in (found["stuck runs"][2] or "")
    assert found["late queued runs"][0] is Level.FAIL
    assert "visma (1)" in found["late queued runs"][1]


def test_drift_cold_starts_and_unhealthy_integrations_are_warnings(
    conn: Conn, worker_dsn: str, admin_dsn: str
) -> None:
    late = "SELECT runlog.start_run(%s, 'xledger', 'scheduler', now() - interval '9 minutes')"
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        worker.execute(late, [ORG])
        pre_warmed = "SELECT runlog.record_prewarm(%s, 'xledger', now() - interval '1 day', true)"
        worker.execute(pre_warmed, [ORG])  # xledger has a pre-warm hook
    found = findings(admin_dsn)
    assert found["drift"][0] is Level.WARN
    assert found["cold starts"][0] is Level.WARN
    conn.execute("INSERT INTO runlog.integration_health (org_id, integration_type, state)"
                 " VALUES (%s, 'tripletex', 'unhealthy')", [ORG])  # fmt: skip
    level, message, _ = findings(admin_dsn)["health"]
    assert level is Level.WARN
    assert "tripletex (1)" in message


def test_scheduled_runs_of_an_integration_without_pre_warm_are_no_cold_starts(
    worker_dsn: str, admin_dsn: str
) -> None:
    """The handler of docs/python.md has no prewarm hook: its runs never start warm."""
    on_time = "SELECT runlog.start_run(%s, 'xledger', 'scheduler', now())"
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        worker.execute(on_time, [ORG])
        assert worker.execute("SELECT count(*) FROM runlog.cold_starts").fetchone() == (1,)
    level, message, _ = findings(admin_dsn)["cold starts"]
    assert level is Level.OK
    assert "with a pre-warm hook" in message


def test_a_missing_schema_stops_the_other_checks(empty_dsn: str, logins: Logins) -> None:
    with psycopg.connect(make_conninfo(empty_dsn, user=logins.admin), autocommit=True) as conn:
        found = diagnose(conn)
    assert [f.check for f in found] == ["server", "schema"]
    assert found[-1].level is Level.FAIL
    assert found[-1].fix == "run: pyrunlog migrate --dsn ..."


def test_missing_cron_jobs_are_failures(cron_dsn: str, logins: Logins) -> None:
    """Unscheduling one job needs its owner, the superuser that owns install_cron_jobs."""
    admin_dsn = make_conninfo(cron_dsn, user=logins.admin)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT * FROM runlog.install_cron_jobs()")
    with psycopg.connect(cron_dsn, autocommit=True) as owner:
        owner.execute("SELECT cron.unschedule('runlog_reaper')")
    found = findings(admin_dsn)
    assert found["scheduler"][0] is Level.OK
    assert found["cron runlog_reaper"][0] is Level.FAIL
    assert found["cron runlog_tick"][0] is Level.OK


def test_retries_waiting_on_purpose_are_not_late_queued_runs(
    conn: Conn, worker_dsn: str, admin_dsn: str
) -> None:
    """A pending retry and a run behind a rate-limit hold wait on purpose."""
    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "xledger", "manual", None, "p1")
        run = runlog.claim_next("w")
        assert run is not None
        runlog.fail_run(run.id, "rate_limited", "429", retry_after=3600)
        runlog.request_sync(ORG, "xledger", "manual", None, "p2")  # behind the hold
    conn.execute("UPDATE runlog.sync_run_log SET queued_at = now() - interval '1 hour'"
                 " WHERE status = 'queued'")  # fmt: skip
    assert findings(admin_dsn)["late queued runs"][0] is Level.OK
    conn.execute("UPDATE runlog.integration_holds SET held_until = now() - interval '1 hour'")
    conn.execute("UPDATE runlog.sync_run_log SET run_after = now() - interval '1 hour'"
                 " WHERE status = 'queued'")  # fmt: skip
    level, message, _ = findings(admin_dsn)["late queued runs"]
    assert level is Level.FAIL
    assert "xledger (2)" in message
