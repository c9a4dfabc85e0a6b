"""Faults between a failure and its retry: a SIGKILLed worker, an immediate restart."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Callable

import psycopg
import pytest

from pyrunlog.localpg import LocalPostgres
from tests.worker.test_faults import scalar

Spawn = Callable[..., subprocess.Popen[str]]
ORGS = [uuid.UUID(int=0x2000 + i) for i in range(20)]
PERIODS_PER_ORG = 10


@pytest.mark.slow
def test_a_killed_worker_and_a_restart_between_failure_and_retry_lose_no_retry(
    dsn: str, worker_dsn: str, admin_dsn: str, spawn: Spawn, cluster: LocalPostgres
) -> None:
    """Every flaky period fails once, then must end succeeded exactly once (or dead)."""
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(
            "UPDATE runlog.retry_policy SET initial_delay = interval '2 seconds', jitter = 0"
        )
    with psycopg.connect(worker_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "SELECT runlog.request_sync(%s, 'flaky', 'manual', NULL, %s)",
            [(org, f"{org}/{n}") for n in range(PERIODS_PER_ORG) for org in ORGS],
        )
    total = len(ORGS) * PERIODS_PER_ORG
    workers = [spawn("--dsn", worker_dsn, "--concurrency", "4", sleep=0.02) for _ in range(2)]
    failed = "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'failed'"
    deadline = time.monotonic() + 60
    while (scalar(dsn, failed) or 0) < total // 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers[0].send_signal(signal.SIGKILL)  # mid-flight: runs cut off, retries pending
    cluster.restart("immediate")  # and the database crashes before the retries are due
    spawn("--dsn", worker_dsn, "--concurrency", "4", sleep=0.02)

    settled = (
        "SELECT count(*) FROM runlog.sync_periods WHERE state IN ('succeeded', 'dead')"
        " AND integration_type = 'flaky'"
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        scalar(admin_dsn, "SELECT runlog.reap_stale(interval '5 seconds')")  # the reaper job
        if scalar(dsn, settled) == total:
            break
        time.sleep(0.5)
    assert scalar(dsn, settled) == total, "every period ends succeeded or dead: none lost"
    assert scalar(dsn, "SELECT count(*) FROM runlog.sync_periods WHERE state = 'dead'") == 0
    assert (
        scalar(
            dsn,
            "SELECT count(*) FROM (SELECT idempotency_key FROM runlog.sync_run_log"
            " WHERE status = 'succeeded' GROUP BY 1 HAVING count(*) > 1) x",
        )
        == 0
    ), "no period succeeded twice"
    assert scalar(dsn, "SELECT count(DISTINCT run_id) FROM public.executions") == total
    gaps = (
        "SELECT count(*) FROM runlog.sync_run_log r WHERE r.attempt > 1 AND NOT EXISTS"
        " (SELECT FROM runlog.sync_run_log p WHERE p.id = r.retry_of"
        " AND p.attempt = r.attempt - 1 AND p.idempotency_key = r.idempotency_key)"
    )
    assert scalar(dsn, gaps) == 0, "attempts are numbered without gaps"
    assert workers[1].poll() is None, "the surviving worker reconnected on its own"
