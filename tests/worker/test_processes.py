"""Workers as real processes: scale, SIGKILL, SIGTERM, restarts."""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest

from pyrunlog import RunLog
from tests.worker.conftest import count, wait_for

Spawn = Callable[..., subprocess.Popen[str]]
ORGS = [uuid.UUID(int=0x1000 + i) for i in range(10)]
KINDS = [f"kind_{i}" for i in range(5)]
RUNNING = "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'running'"


def queue_runs(dsn: str, per_integration: int, keyed: bool = True) -> int:
    """Queue runs for 10 organisations x 5 integrations (50 integrations)."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "SELECT runlog.request_sync(%s, %s, 'scheduler', NULL, %s)",
            [
                (org, kind, f"{org}/{kind}/{n}" if keyed else None)
                for n in range(per_integration)
                for org in ORGS
                for kind in KINDS
            ],
        )
    return per_integration * len(ORGS) * len(KINDS)


@pytest.mark.slow
def test_8_workers_run_2000_queued_runs_exactly_once_never_two_at_once(
    admin_dsn: str, spawn: Spawn
) -> None:
    total = queue_runs(admin_dsn, 40)
    assert total == 2000
    for _ in range(8):
        spawn("--concurrency", "4")
    wait_for(
        lambda: (
            count(admin_dsn, "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'succeeded'")
            == total
        ),
        timeout=240,
        what="2000 runs to succeed",
    )
    assert count(admin_dsn, "SELECT count(*) FROM public.executions") == total, (
        "each run executed once"
    )
    assert count(admin_dsn, "SELECT count(DISTINCT run_id) FROM public.executions") == total
    assert count(admin_dsn, "SELECT count(DISTINCT pid) FROM public.executions") > 1, (
        "work was shared"
    )
    overlaps = count(
        admin_dsn,
        "SELECT count(*) FROM public.executions a JOIN public.executions b"
        " ON a.org_id = b.org_id AND a.integration_type = b.integration_type"
        " AND a.run_id < b.run_id AND a.started < b.ended AND b.started < a.ended",
    )
    assert overlaps == 0, "two runs of one integration overlapped"


@pytest.mark.slow
def test_the_reaper_frees_an_integration_whose_worker_was_killed(
    admin_dsn: str, runlog: RunLog, spawn: Spawn
) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:  # the retry after 1 s, not 30 s
        conn.execute("UPDATE runlog.retry_policy SET initial_delay = interval '1 second'")
    run = runlog.request_sync(ORGS[0], "kind_0", "scheduler", idempotency_key="period-1")
    worker = spawn(sleep=60)
    wait_for(lambda: runlog.run_history(ORGS[0])[0].status.value == "running", what="claim")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(lambda: runlog.reap_stale(timeout=timedelta(seconds=2)) == 1,
             timeout=20, what="the reaper")  # fmt: skip
    history = runlog.run_history(ORGS[0])
    assert [r.status.value for r in history] == ["queued", "timed_out"]
    assert history[1].id == run.id
    assert history[0].idempotency_key == "period-1", "the same period is queued again"
    spawn(sleep=0)
    wait_for(lambda: runlog.run_history(ORGS[0])[0].status.value == "succeeded",
             what="the period to run again")  # fmt: skip


@pytest.mark.slow
def test_sigterm_finishes_running_syncs_within_the_grace_period(
    admin_dsn: str, runlog: RunLog, spawn: Spawn
) -> None:
    queue_runs(admin_dsn, 1)
    worker = spawn("--concurrency", "4", "--grace-period", "20", sleep=1.5)
    wait_for(lambda: count(admin_dsn, RUNNING)
             == 4, what="4 running syncs")  # fmt: skip
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    with psycopg.connect(admin_dsn) as conn:
        rows = conn.execute("SELECT status, count(*) FROM runlog.sync_run_log GROUP BY 1")
        statuses = dict(rows.fetchall())
    assert statuses.get("running", 0) == 0, "no run may be left running"
    assert statuses["succeeded"] == 4, "the running syncs finished within the grace period"
    assert statuses["queued"] == 46, "no new run was claimed after SIGTERM"


@pytest.mark.slow
def test_sigterm_cancels_syncs_that_outlive_the_grace_period(
    admin_dsn: str, runlog: RunLog, spawn: Spawn
) -> None:
    queue_runs(admin_dsn, 1)
    worker = spawn("--concurrency", "3", "--grace-period", "0.5", sleep=60)
    wait_for(lambda: count(admin_dsn, RUNNING)
             == 3, what="3 running syncs")  # fmt: skip
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert count(admin_dsn, RUNNING) == 0
    with psycopg.connect(admin_dsn) as conn:
        reasons = conn.execute(
            "SELECT error_message FROM runlog.sync_run_log WHERE status = 'cancelled'"
        ).fetchall()
    assert len(reasons) == 3
    assert all("shut down" in r[0] for r in reasons)


@pytest.mark.slow
def test_a_killed_and_restarted_worker_loses_no_queued_run(
    admin_dsn: str, runlog: RunLog, spawn: Spawn
) -> None:
    total = queue_runs(admin_dsn, 2)
    first = spawn("--concurrency", "4", sleep=0.2)
    wait_for(
        lambda: count(admin_dsn, "SELECT count(*) FROM public.executions") >= 10, what="progress"
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    wait_for(lambda: (runlog.reap_stale(timeout=timedelta(seconds=2)) or True)
             and count(admin_dsn, RUNNING)
             == 0, timeout=30, what="the killed worker's runs to be reaped")  # fmt: skip
    spawn("--concurrency", "4", sleep=0)
    periods_done = (
        "SELECT count(DISTINCT idempotency_key) FROM runlog.sync_run_log WHERE status = 'succeeded'"
    )
    wait_for(
        lambda: count(admin_dsn, periods_done) == total, timeout=60, what="every period to succeed"
    )
    assert (
        count(admin_dsn, "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'succeeded'")
        == total
    )
    assert count(admin_dsn, "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'queued'") == 0
