"""runlog.metrics(): counters that survive retention, live gauges, labels, the monitor role."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest

from pyrunlog.observability.catalog import SQL_METRICS, family_of
from pyrunlog.observability.sql_metrics import MetricRow, read_metrics
from tests.helpers import Conn

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-0000000000a2")


def metrics(monitor_dsn: str) -> list[MetricRow]:
    with psycopg.connect(monitor_dsn) as conn:
        return read_metrics(conn)


def value(rows: list[MetricRow], name: str, **labels: str) -> float:
    found = [r.value for r in rows if r.name == name and r.labels.items() >= labels.items()]
    assert found, f"no series {name}{labels}"
    return sum(found)


def start_and_finish(worker: Conn, status: str, integration: str = "xledger", org=ORG) -> int:
    run_id = worker.execute(
        "SELECT id FROM runlog.start_run(%s, %s)", [org, integration]
    ).fetchone()[0]
    worker.execute("SELECT runlog.finish_run(%s, %s, 1, 0, 'x')", [run_id, status])
    return int(run_id)


def queue_scheduled(conn: Conn, slot: dt.datetime, integration: str = "xledger") -> int:
    """Enqueue a scheduled run as tick() does (superuser: the private helper tick uses)."""
    row = conn.execute(
        "SELECT (runlog._insert_run(%s, %s, 'queued', 'scheduler', %s, %s)).id",
        [ORG, integration, slot, f"slot-{slot.isoformat()}"],
    ).fetchone()
    return int(row[0])


def test_every_family_and_label_set_is_in_the_catalogue_and_none_has_org_id(
    conn: Conn, worker_dsn: str, monitor_dsn: str
) -> None:
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        start_and_finish(worker, "succeeded")
    conn.execute("SELECT runlog.set_schedule(%s, 'dynamics', '*/5 * * * *')", [ORG])
    rows = metrics(monitor_dsn)
    specs = {spec.name: spec for spec in SQL_METRICS}
    served = {family_of(r.name, r.kind) for r in rows}
    assert served == set(specs), "runlog.metrics() and the catalogue disagree"
    for row in rows:
        spec = specs[family_of(row.name, row.kind)]
        assert row.kind == spec.kind
        extra = {"le"} if row.name.endswith("_bucket") else set()
        assert set(row.labels) == set(spec.labels) | extra, row
        assert "org_id" not in row.labels


def test_finished_runs_are_counted_by_status_and_survive_retention(
    conn: Conn, worker_dsn: str, monitor_dsn: str
) -> None:
    """Deletes the runs as the superuser, as prune() does after the retention period."""
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        for status in ("succeeded", "succeeded", "failed", "partial"):
            start_and_finish(worker, status)
        start_and_finish(worker, "failed", integration="dynamics", org=OTHER_ORG)
    rows = metrics(monitor_dsn)
    total = "pyrunlog_runs_finished_total"
    assert value(rows, total, integration_type="xledger", status="succeeded") == 2
    assert value(rows, total, integration_type="xledger", status="failed") == 1
    assert value(rows, total, integration_type="dynamics", status="failed") == 1
    assert value(rows, total, integration_type="dynamics", status="succeeded") == 0
    conn.execute("DELETE FROM runlog.sync_run_log")
    after = metrics(monitor_dsn)
    assert value(after, total, integration_type="xledger", status="succeeded") == 2
    assert value(after, total, integration_type="xledger", status="failed") == 1


def test_the_failure_type_is_a_label(conn: Conn, worker_dsn: str, monitor_dsn: str) -> None:
    """Sets failure_type as the superuser: the retries issue's finish_run will set it."""
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        run_id = worker.execute("SELECT id FROM runlog.start_run(%s, 'xledger')", [ORG]).fetchone()[
            0
        ]
    conn.execute(
        "UPDATE runlog.sync_run_log SET status = 'failed', ended_at = now(),"
        " failure_type = 'rate_limited' WHERE id = %s",
        [run_id],
    )
    rows = metrics(monitor_dsn)
    assert (
        value(rows, "pyrunlog_runs_finished_total", status="failed", failure_type="rate_limited")
        == 1
    )


def test_queue_gauges_and_missing_series_as_zero(conn: Conn, monitor_dsn: str) -> None:
    conn.execute("SELECT runlog.set_schedule(%s, 'dynamics', '*/5 * * * *')", [ORG])
    queue_scheduled(conn, dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10))
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_runs", integration_type="xledger", status="queued") == 1
    assert value(rows, "pyrunlog_runs", integration_type="xledger", status="running") == 0
    assert (
        value(rows, "pyrunlog_oldest_ready_queued_age_seconds", integration_type="xledger") >= 600
    )
    for name in ("pyrunlog_runs", "pyrunlog_oldest_ready_queued_age_seconds"):
        assert value(rows, name, integration_type="dynamics") == 0
    assert value(rows, "pyrunlog_schedules_enabled", integration_type="dynamics") == 1
    assert value(rows, "pyrunlog_schedules_paused", integration_type="dynamics") == 0
    assert value(rows, "pyrunlog_integrations_unknown", integration_type="dynamics") == 1


def test_a_claimed_scheduled_run_lands_in_its_drift_bucket(
    conn: Conn, worker_dsn: str, monitor_dsn: str
) -> None:
    queue_scheduled(conn, dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=400))
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        claimed = worker.execute("SELECT (runlog.claim_next('w1')).id").fetchone()[0]
    assert claimed is not None
    rows = metrics(monitor_dsn)
    bucket = "pyrunlog_start_drift_seconds_bucket"
    assert value(rows, bucket, integration_type="xledger", le="300") == 0
    assert value(rows, bucket, integration_type="xledger", le="600") == 1
    assert value(rows, bucket, integration_type="xledger", le="+Inf") == 1
    assert value(rows, "pyrunlog_start_drift_seconds_count", integration_type="xledger") == 1
    assert 400 <= value(rows, "pyrunlog_start_drift_seconds_sum", integration_type="xledger") < 460
    assert value(rows, "pyrunlog_cold_starts_total", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_workers_alive") == 1
    assert value(rows, "pyrunlog_runs", integration_type="xledger", status="running") == 1


def test_schedules_behind_and_the_tick_timestamp(conn: Conn, monitor_dsn: str) -> None:
    conn.execute("SELECT runlog.set_schedule(%s, 'xledger', '*/5 * * * *')", [ORG])
    assert value(metrics(monitor_dsn), "pyrunlog_tick_last_success_timestamp_seconds") == 0
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = now() - interval '1 hour'")
    assert value(metrics(monitor_dsn), "pyrunlog_schedules_behind", integration_type="xledger") == 1
    conn.execute("SELECT runlog.tick()")
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_schedules_behind", integration_type="xledger") == 0
    ticked = value(rows, "pyrunlog_tick_last_success_timestamp_seconds")
    assert abs(ticked - dt.datetime.now(dt.timezone.utc).timestamp()) < 60


def test_metrics_does_not_wait_for_a_finishing_transaction(
    worker_dsn: str, monitor_dsn: str
) -> None:
    """A finish holding its counter row lock neither blocks metrics() nor shows early."""
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        start_and_finish(worker, "succeeded")
        run_id = worker.execute("SELECT id FROM runlog.start_run(%s, 'xledger')", [ORG]).fetchone()[
            0
        ]
    with psycopg.connect(worker_dsn) as open_tx:
        open_tx.execute("SELECT runlog.finish_run(%s, 'succeeded')", [run_id])
        with psycopg.connect(monitor_dsn) as monitor:
            rows = read_metrics(monitor, timeout_ms=2000)
        assert value(rows, "pyrunlog_runs_finished_total", status="succeeded") == 1
        open_tx.commit()
    assert value(metrics(monitor_dsn), "pyrunlog_runs_finished_total", status="succeeded") == 2


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT count(*) FROM runlog.sync_run_log",
        "SELECT runlog.last_runs(gen_random_uuid())",
        "SELECT * FROM runlog.run_counters",
    ],
)
def test_the_monitor_role_may_only_read_metrics(monitor_dsn: str, statement: str) -> None:
    with psycopg.connect(monitor_dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_admins_may_read_metrics_and_workers_may_not(admin_dsn: str, worker_dsn: str) -> None:
    with psycopg.connect(admin_dsn) as admin:
        assert read_metrics(admin)
    with psycopg.connect(worker_dsn) as worker, pytest.raises(psycopg.errors.InsufficientPrivilege):
        read_metrics(worker)


def test_a_prewarmed_scheduled_run_is_not_a_cold_start(
    conn: Conn, worker_dsn: str, monitor_dsn: str
) -> None:
    slot = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30)
    queue_scheduled(conn, slot)
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        assert worker.execute("SELECT runlog.claim_prewarm(%s, 'xledger', %s, 'w1')", [ORG, slot])
        worker.execute(
            "SELECT runlog.record_prewarm(%s, 'xledger', %s, true, 5, NULL, 'w1')", [ORG, slot]
        )
        assert worker.execute("SELECT (runlog.claim_next('w1')).id").fetchone()[0] is not None
    rows = metrics(monitor_dsn)
    assert value(rows, "pyrunlog_start_drift_seconds_count", integration_type="xledger") == 1
    assert value(rows, "pyrunlog_cold_starts_total", integration_type="xledger") == 0
