"""Faults: the database crashes and restarts under running workers."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import psycopg
import pytest

from pyrunlog.localpg import LocalPostgres
from tests.worker.test_processes import queue_runs

Spawn = Callable[..., subprocess.Popen[str]]


def scalar(dsn: str, sql: str) -> int | None:
    """One number, or None while the server is down."""
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute(sql).fetchone()
            return None if row is None else int(row[0])
    except psycopg.OperationalError:
        return None


@pytest.mark.slow
def test_an_immediate_restart_under_4_workers_loses_and_repeats_no_period(
    admin_dsn: str, spawn: Spawn, cluster: LocalPostgres
) -> None:
    total = queue_runs(admin_dsn, 20)
    assert total == 1000
    workers = [spawn("--concurrency", "4", sleep=0.02) for _ in range(4)]
    done = "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'succeeded'"
    deadline = time.monotonic() + 60
    while (scalar(admin_dsn, done) or 0) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    cluster.restart("immediate")  # a crash: no checkpoint, connections cut

    periods = (
        "SELECT count(DISTINCT idempotency_key) FROM runlog.sync_run_log WHERE status = 'succeeded'"
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        scalar(admin_dsn, "SELECT runlog.reap_stale(interval '5 seconds')")  # the reaper job's part
        if scalar(admin_dsn, periods) == total:
            break
        time.sleep(0.5)
    with psycopg.connect(admin_dsn) as conn:
        unfinished = conn.execute(
            "SELECT status, count(*), min(error_message) FROM runlog.sync_run_log r"
            " WHERE NOT EXISTS (SELECT FROM runlog.sync_run_log s WHERE s.status = 'succeeded'"
            " AND s.idempotency_key = r.idempotency_key) GROUP BY 1"
        ).fetchall()
    assert scalar(admin_dsn, periods) == total, f"every period must end succeeded: {unfinished}"
    assert scalar(admin_dsn, done) == total, "and succeeded exactly once"
    assert (
        scalar(
            admin_dsn,
            "SELECT count(*) FROM runlog.sync_run_log WHERE status IN ('queued', 'running')",
        )
        == 0
    )
    assert [w.poll() for w in workers] == [None] * 4, "the workers reconnected on their own"
    reaped = scalar(
        admin_dsn, "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'timed_out'"
    )
    print(f"restart: {reaped} runs cut off and reaped, all {total} periods succeeded once")
