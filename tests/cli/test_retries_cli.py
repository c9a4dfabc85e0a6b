"""Operators: pyrunlog periods, retry, schedule resume, and doctor on dead periods."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from pyrunlog import AuthError, RunLog, TransientError
from pyrunlog.cli import cli
from pyrunlog.doctor import Level, check_retries

ORG = uuid.UUID("00000000-0000-4000-8000-0000000001d2")


def dead_period(runlog: RunLog, key: str) -> None:
    """A period whose attempt raised an auth error inside RunLog.run (dead at once)."""
    runlog.request_sync(ORG, "xledger", "manual", None, key)
    run = runlog.claim_next("w")
    assert run is not None
    failed, retry = runlog.fail_run_for(run.id, AuthError("401 Unauthorized"))
    assert retry is None
    assert failed.retry_decision == "not_retryable"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_periods_dead_lists_the_dead_period_and_retry_requeues_it(admin_dsn: str) -> None:
    with RunLog(admin_dsn) as runlog:
        dead_period(runlog, "2026-11")
    listed = json.loads(invoke("periods", "--dead", "--json", "--dsn", admin_dsn))
    assert [(p["idempotency_key"], p["state"], p["last_failure_type"]) for p in listed] == [
        ("2026-11", "dead", "auth_error")
    ]
    assert "2026-11" in invoke("periods", "--dead", "--dsn", admin_dsn)
    output = invoke("retry", "--dsn", admin_dsn, "--org", str(ORG), "2026-11")
    assert "attempt 2 of period 2026-11" in output
    assert invoke("periods", "--dead", "--dsn", admin_dsn).strip() == "no dead periods"


def test_retry_of_a_period_that_is_not_dead_says_why(admin_dsn: str) -> None:
    with RunLog(admin_dsn) as runlog:
        runlog.request_sync(ORG, "xledger", "manual", None, "busy")
    result = CliRunner().invoke(cli, ["retry", "--dsn", admin_dsn, "--org", str(ORG), "busy"])
    assert result.exit_code != 0
    assert "is not dead" in result.output


def test_run_context_records_the_failure_type_of_the_exception(admin_dsn: str) -> None:
    with RunLog(admin_dsn) as runlog:
        with pytest.raises(TransientError), runlog.run(ORG, "visma", idempotency_key="k"):
            raise TransientError("503")
        (period,) = runlog.periods(org_id=ORG)
    assert (period.state, period.last_failure_type) == ("retry_pending", "transient_error")


def test_doctor_reports_dead_periods_and_auto_paused_schedules_with_the_fix(
    admin_dsn: str,
) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn, RunLog(admin_dsn) as runlog:
        conn.execute(
            "UPDATE runlog.settings SET auto_pause_dead_periods = 1,"
            " auto_pause_without_success = interval '0'"
        )
        runlog.set_schedule(ORG, "xledger", "0 * * * *")
        dead_period(runlog, "p1")
        found = {f.check: f for f in check_retries(conn)}
        assert found["dead periods"].level is Level.WARN
        assert "xledger (1)" in found["dead periods"].message
        assert "pyrunlog retry" in (found["dead periods"].fix or "")
        paused = found["auto-paused schedules"]
        assert paused.level is Level.FAIL
        assert str(ORG) in paused.message
        assert "1 periods died in a row" in paused.message
        assert "pyrunlog schedule resume" in (paused.fix or "")
        invoke("schedule", "resume", "--dsn", admin_dsn, "--org", str(ORG), "xledger")
        found = {f.check: f for f in check_retries(conn)}
        assert found["auto-paused schedules"].level is Level.OK


def test_doctor_forgets_dead_periods_once_their_integration_succeeded_later(
    admin_dsn: str,
) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn, RunLog(admin_dsn) as runlog:
        dead_period(runlog, "old")
        assert "xledger (1)" in check_retries(conn)[0].message
        ok = runlog.start_run(ORG, "xledger", "manual", None, "later")
        runlog.finish_run(ok.id, "succeeded")
        assert check_retries(conn)[0].level is Level.OK
        dead_period(runlog, "newer")
        assert "xledger (1)" in check_retries(conn)[0].message


def test_resuming_a_schedule_that_was_not_paused_says_so(admin_dsn: str) -> None:
    with RunLog(admin_dsn) as runlog:
        runlog.set_schedule(ORG, "xledger", "0 * * * *")
    output = invoke("schedule", "resume", "--dsn", admin_dsn, "--org", str(ORG), "xledger")
    assert output.strip() == f"schedule of xledger ({ORG}) was not paused: nothing to resume"
    invoke("schedule", "disable", "--dsn", admin_dsn, "--org", str(ORG), "xledger")
    output = invoke("schedule", "resume", "--dsn", admin_dsn, "--org", str(ORG), "xledger")
    assert output.strip() == f"resumed schedule of xledger ({ORG})"
