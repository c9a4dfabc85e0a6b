"""Benchmark of runlog.metrics(): the cost of one Prometheus scrape.

With 1,000,000 runs in the log (1,000 queued of which 500 retries, 200
running, 20,000 dead periods), 10,000 schedules (100 auto-paused), 2,000
rate-limit holds and the health rows: milliseconds per runlog.metrics() call as a
runlog_monitor login (target: under 50 ms), and the share of one core a scrape
every 15 s costs (target: under 1%). Side by side, in the same run, the naive
alternative: counting runs by status over the whole log.

Run: make bench (or python -m bench.observability).
"""

from __future__ import annotations

import statistics
import time

import psycopg
from psycopg.conninfo import make_conninfo

from bench.scheduling import create_database
from pyrunlog.localpg import LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.observability.exporter import families
from pyrunlog.observability.sql_metrics import read_metrics

RUNS = 1_000_000
SCHEDULES = 10_000
TYPES = "ARRAY['xledger', 'dynamics_365', 'visma', 'tripletex', 'fortnox']"

SEED = f"""
INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, scheduled_for,
    queued_at, started_at, ended_at, records_processed, idempotency_key, failure_type,
    retry_decision)
SELECT
    md5((i % 10000)::text)::uuid,
    ({TYPES})[1 + i % 5],
    (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'partial'])[1 + i % 5],
    'scheduler',
    now() - make_interval(mins => i),
    now() - make_interval(mins => i),
    now() - make_interval(mins => i) + interval '5 seconds',
    now() - make_interval(mins => i) + interval '65 seconds',
    100,
    'slot-' || i,
    CASE WHEN i % 5 = 3 THEN 'transient_error' END,
    -- every failed run was decided; one in ten of them ended its period (20,000 dead)
    CASE WHEN i % 50 = 3 THEN 'exhausted' WHEN i % 5 = 3 THEN 'retry' END
FROM generate_series(1, {RUNS} - 1200) AS i;

INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, queued_at)
SELECT gen_random_uuid(), ({TYPES})[1 + i % 5], 'queued', 'manual', now() - make_interval(secs => i)
FROM generate_series(1, 500) AS i;

-- 500 queued retries, due in the next hour; the first 250 re-queue dead periods
INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, queued_at,
    attempt, retry_of, counted_attempt, run_after, idempotency_key)
SELECT r.org_id, r.integration_type, 'queued', 'scheduler', now(), 2, r.id, 2,
    now() + make_interval(secs => n * 7), r.idempotency_key || '-again'
FROM (
    SELECT d.*, row_number() OVER (ORDER BY d.retry_decision, d.id) AS n
    FROM runlog.sync_run_log AS d
    WHERE d.retry_decision IN ('exhausted', 'retry') AND d.id % 100 < 3
) AS r
WHERE r.n <= 500;

INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, queued_at,
    started_at, heartbeat_at, worker_id)
SELECT gen_random_uuid(), ({TYPES})[1 + i % 5], 'running', 'manual', now(), now(), now(),
    'worker-' || (i % 8)
FROM generate_series(1, 200) AS i;

WITH s AS (
    INSERT INTO runlog.sync_schedule (org_id, integration_type, cron, cron_spec, time_zone)
    SELECT md5(i::text)::uuid, ({TYPES})[1 + i % 5], '*/15 * * * *',
        runlog.parse_cron('*/15 * * * *'), 'Europe/Oslo'
    FROM generate_series(1, {SCHEDULES}) AS i
    RETURNING id
)
INSERT INTO runlog.schedule_slot (schedule_id, next_slot)
SELECT id, now() + interval '5 minutes' FROM s;

-- 100 schedules paused automatically
UPDATE runlog.sync_schedule SET enabled = false, paused_at = now(), paused_reason = 'bench'
WHERE org_id IN (SELECT md5(i::text)::uuid FROM generate_series(1, 100) AS i);

-- 2,000 rate-limit holds, half of them still active
INSERT INTO runlog.integration_holds (org_id, integration_type, held_until, reason)
SELECT md5(i::text)::uuid, ({TYPES})[1 + i % 5], now() + make_interval(mins => i - 1000), 'bench'
FROM generate_series(1, 2000) AS i;

INSERT INTO runlog.retry_counters (integration_type, decision, failure_type, shard, attempts)
SELECT t, d, f, shard, 1000
FROM unnest({TYPES}) AS t,
    unnest(ARRAY['retry', 'exhausted', 'not_retryable', 'window_closed']) AS d,
    unnest(ARRAY['transient_error', 'rate_limited', 'auth_error', 'system_error']) AS f,
    generate_series(0, 7) AS shard;

INSERT INTO runlog.run_counters (integration_type, status, failure_type, shard, runs)
SELECT t, s, f, shard, 1000
FROM unnest({TYPES}) AS t,
    unnest(ARRAY['succeeded', 'partial', 'failed', 'cancelled', 'timed_out']) AS s,
    unnest(ARRAY['none', 'transient_error', 'rate_limited', 'auth_error']) AS f,
    generate_series(0, 7) AS shard;

INSERT INTO runlog.start_counters
    (integration_type, shard, drift_buckets, drift_sum, starts, cold_starts)
SELECT t, shard, array_fill(100::bigint, ARRAY[11]), 5000, 1100, 10
FROM unnest({TYPES}) AS t, generate_series(0, 7) AS shard;
"""


def seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SEED)
        conn.execute("VACUUM ANALYZE")
        conn.execute("DROP ROLE IF EXISTS bench_monitor")
        conn.execute("CREATE ROLE bench_monitor LOGIN IN ROLE runlog_monitor")


def timed(dsn: str, calls: int, sql: str | None = None) -> list[float]:
    """Seconds per call: runlog.metrics() (and the exporter's formatting) or `sql`."""
    seconds = []
    with psycopg.connect(dsn) as conn:
        for _ in range(calls):
            started = time.perf_counter()
            if sql is None:
                list(families(read_metrics(conn)))
            else:
                conn.execute(sql).fetchall()
                conn.rollback()
            seconds.append(time.perf_counter() - started)
    return seconds


def plan_of_metrics(dsn: str) -> list[str]:
    """The plan lines of runlog.metrics()'s query."""
    with psycopg.connect(dsn) as conn:
        body = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE oid = 'runlog.metrics()'::regprocedure"
        ).fetchone()
        assert body is not None
        return [row[0] for row in conn.execute(f"EXPLAIN {body[0]}").fetchall()]


def main() -> None:
    cluster = LocalPostgres().start()
    try:
        dsn = create_database(cluster, "bench_observability")
        migrate(dsn)
        started = time.perf_counter()
        seed(dsn)
        print(f"seeded {RUNS:,} runs and {SCHEDULES:,} schedules in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        monitor = make_conninfo(dsn, user="bench_monitor")
        timed(monitor, 20)  # warm the caches
        ours = timed(monitor, 200)
        naive_sql = (
            "SELECT integration_type, status, count(*)"
            " FROM runlog.sync_run_log GROUP BY integration_type, status"
        )
        naive = timed(dsn, 20, naive_sql)
        mean = statistics.mean(ours)
        print("runlog.metrics() as runlog_monitor, 200 calls (incl. the exporter's formatting):")
        print(f"   p50 {1000 * statistics.median(ours):6.1f} ms   p99 "
              f"{1000 * sorted(ours)[int(0.99 * len(ours))]:6.1f} ms   mean {1000 * mean:6.1f} ms"
              "   (target < 50 ms)")  # fmt: skip
        print(f"   a scrape every 15 s: {100 * mean / 15:.3f}% of one core (target < 1%)")
        ratio = statistics.median(naive) / statistics.median(ours)
        print(f"naive count by status over the whole log, 20 calls: p50 "
              f"{1000 * statistics.median(naive):6.1f} ms   x{ratio:.0f} slower")  # fmt: skip
        plan = plan_of_metrics(dsn)
        scans = [line for line in plan if "Seq Scan on sync_run_log" in line]
        print(f"sequential scans of sync_run_log in the plan: {len(scans)}")
        for index in ("sync_run_log_dead_idx", "sync_run_log_retry_of_idx"):
            print(f"{index} in the plan: {any(index in line for line in plan)}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
