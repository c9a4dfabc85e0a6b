"""runlog.metrics() for retries: retries scheduled, dead periods, pending retries, holds, pauses.

Every call goes through LOGIN roles holding one documented role (worker, admin,
monitor). The superuser ``conn`` only moves the test's clock (run_after,
queued_at, held_until) and deletes runs as prune() would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pyrunlog.observability.sql_metrics import read_metrics
from tests.helpers import Conn
from tests.observability.test_metrics_sql import metrics, value

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000b1")


@pytest.fixture
def worker(worker_dsn: str) -> Iterator[Conn]:
    with psycopg.connect(worker_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def admin(admin_dsn: str) -> Iterator[Conn]:
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        yield connection


def start_period(worker: Conn, key: str, integration: str = "xledger") -> int:
    """The first attempt of a period (an idempotency key), running."""
    row = worker.execute(
        "SELECT id FROM runlog.start_run(%s, %s, 'manual', NULL, %s)", [ORG, integration, key]
    ).fetchone()
    assert row is not None
    return int(row[0])


def fail(worker: Conn, run_id: int, failure_type: str, retry_after: float | None = None) -> None:
    worker.execute(
        "SELECT * FROM runlog.fail_run(%s, %s, 'boom', %s)", [run_id, failure_type, retry_after]
    )


def test_a_scheduled_retry_is_counted_pending_and_not_ready_before_its_run_after(
    conn: Conn, worker: Conn, monitor_dsn: str
) -> None:
    fail(worker, start_period(worker, "p1"), "transient_error")
    # queued an hour ago, but its backoff has not passed: not ready, no queue lag
    conn.execute(
        "UPDATE runlog.sync_run_log SET queued_at = now() - interval '1 hour'"
        " WHERE status = 'queued'"
    )
    rows = metrics(monitor_dsn)
    scheduled = "pyrunlog_retries_scheduled_total"
    assert value(rows, scheduled, integration_type="xledger", failure_type="transient_error") == 1
    assert value(rows, scheduled, integration_type="xledger", failure_type="system_error") == 0
    assert value(rows, "pyrunlog_retries_pending", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_runs", integration_type="xledger", status="queued") == 1
    assert value(rows, "pyrunlog_oldest_ready_queued_age_seconds", integration_type="xledger") == 0
    assert value(rows, "pyrunlog_dead_periods", integration_type="xledger") == 0

    conn.execute(
        "UPDATE runlog.sync_run_log SET run_after = now() - interval '10 minutes'"
        " WHERE status = 'queued'"
    )
    age = value(
        metrics(monitor_dsn), "pyrunlog_oldest_ready_queued_age_seconds", integration_type="xledger"
    )
    assert 600 <= age < 900, "the age of a retry counts from its run_after"


def test_dead_periods_are_counted_by_reason_and_gauged_until_re_queued(
    conn: Conn, worker: Conn, admin: Conn, monitor_dsn: str
) -> None:
    """Deletes the runs as the superuser, as prune() does after the retention period."""
    fail(worker, start_period(worker, "auth"), "auth_error")
    admin.execute("UPDATE runlog.retry_policy SET max_attempts = 1")
    fail(worker, start_period(worker, "once"), "transient_error")
    fail(worker, start_period(worker, "other", integration="visma"), "config_error")
    rows = metrics(monitor_dsn)
    dead = "pyrunlog_periods_dead_total"
    assert value(rows, dead, integration_type="xledger", reason="not_retryable") == 1
    assert value(rows, dead, integration_type="xledger", reason="exhausted") == 1
    assert value(rows, dead, integration_type="xledger", reason="window_closed") == 0
    assert value(rows, dead, integration_type="visma", reason="not_retryable") == 1
    assert value(rows, "pyrunlog_dead_periods", integration_type="xledger") == 2
    assert value(rows, "pyrunlog_retries_scheduled_total", integration_type="xledger") == 0
    in_view = admin.execute(
        "SELECT count(*) FROM runlog.sync_periods WHERE state = 'dead'"
    ).fetchone()
    assert in_view is not None
    assert value(rows, "pyrunlog_dead_periods") == in_view[0]

    admin.execute("SELECT runlog.retry_period(%s, 'auth')", [ORG])
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_dead_periods", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_retries_pending", integration_type="xledger") == 1
    assert value(rows, dead, integration_type="xledger", reason="not_retryable") == 1

    conn.execute("DELETE FROM runlog.sync_run_log")
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_dead_periods", integration_type="xledger") == 0
    assert value(rows, dead, integration_type="xledger") == 2, "counters survive retention"


def test_a_superseded_retry_is_a_period_gone_dead_because_its_window_closed(
    conn: Conn, worker: Conn, admin: Conn, monitor_dsn: str
) -> None:
    admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '0 0 1 1 *', 'UTC')", [ORG])
    run = worker.execute(
        "SELECT id FROM runlog.start_run(%s, 'xledger', 'scheduler', date_trunc('year', now()),"
        " 'slot')",
        [ORG],
    ).fetchone()
    assert run is not None
    fail(worker, run[0], "transient_error")
    conn.execute(
        "UPDATE runlog.sync_run_log SET run_after = now() - interval '2 minutes',"
        " run_before = now() - interval '1 minute' WHERE status = 'queued'"
    )
    assert worker.execute("SELECT (runlog.claim_next('w')).id").fetchone() == (None,)
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_periods_dead_total", reason="window_closed") == 1
    assert value(rows, "pyrunlog_retries_scheduled_total", failure_type="transient_error") == 1
    assert value(rows, "pyrunlog_dead_periods", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_retries_pending", integration_type="xledger") == 0


def test_an_active_rate_limit_hold_is_gauged_until_it_ends(
    conn: Conn, worker: Conn, monitor_dsn: str
) -> None:
    fail(worker, start_period(worker, "p1"), "rate_limited", retry_after=600)
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_rate_limit_holds", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_retries_scheduled_total", failure_type="rate_limited") == 1
    conn.execute("UPDATE runlog.integration_holds SET held_until = now()")
    assert value(metrics(monitor_dsn), "pyrunlog_rate_limit_holds", integration_type="xledger") == 0


def test_auto_paused_schedules_are_told_apart_from_paused_ones(
    worker: Conn, admin: Conn, monitor_dsn: str
) -> None:
    admin.execute(
        "UPDATE runlog.settings SET auto_pause_dead_periods = 1,"
        " auto_pause_without_success = interval '0'"
    )
    admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *')", [ORG])
    admin.execute("SELECT runlog.set_schedule(%s, 'visma', '* * * * *')", [ORG])
    admin.execute("SELECT runlog.disable_schedule(%s, 'visma')", [ORG])
    fail(worker, start_period(worker, "p1"), "config_error")
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_schedules_auto_paused", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_schedules_paused", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_schedules_auto_paused", integration_type="visma") == 0
    assert value(rows, "pyrunlog_schedules_paused", integration_type="visma") == 1
    admin.execute("SELECT runlog.resume_schedule(%s, 'xledger')", [ORG])
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_schedules_auto_paused", integration_type="xledger") == 0


def test_metrics_does_not_wait_for_a_failing_transaction(
    worker: Conn, worker_dsn: str, monitor_dsn: str
) -> None:
    """A fail_run holding its retry counter row neither blocks metrics() nor shows early."""
    fail(worker, start_period(worker, "p1"), "transient_error")
    second = start_period(worker, "p2")
    with psycopg.connect(worker_dsn) as open_tx:
        fail(open_tx, second, "transient_error")
        with psycopg.connect(monitor_dsn) as monitor:
            rows = read_metrics(monitor, timeout_ms=2000)
        assert value(rows, "pyrunlog_retries_scheduled_total", failure_type="transient_error") == 1
        assert value(rows, "pyrunlog_retries_pending") == 1
        open_tx.commit()
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_retries_scheduled_total", failure_type="transient_error") == 2
