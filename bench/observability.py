"""Benchmark of runlog.metrics(): the cost of one Prometheus scrape.

With 1,000,000 runs in the log (1,000 queued, 200 running), 10,000 schedules
and their health rows: milliseconds per runlog.metrics() call as a
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
    queued_at, started_at, ended_at, records_processed)
SELECT
    md5((i % 10000)::text)::uuid,
    ({TYPES})[1 + i % 5],
    (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'partial'])[1 + i % 5],
    'scheduler',
    now() - make_interval(mins => i),
    now() - make_interval(mins => i),
    now() - make_interval(mins => i) + interval '5 seconds',
    now() - make_interval(mins => i) + interval '65 seconds',
    100
FROM generate_series(1, {RUNS} - 1200) AS i;

INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, queued_at)
SELECT gen_random_uuid(), ({TYPES})[1 + i % 5], 'queued', 'manual', now() - make_interval(secs => i)
FROM generate_series(1, 1000) AS i;

INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by, queued_at,
    started_at, heartbeat_at, worker_id)
SELECT gen_random_uuid(), ({TYPES})[1 + i % 5], 'running', 'manual', now(), now(), now(),
    'worker-' || (i % 8)
FROM generate_series(1, 200) AS i;

INSERT INTO runlog.sync_schedule (org_id, integration_type, cron, cron_spec, time_zone, next_slot)
SELECT md5(i::text)::uuid, ({TYPES})[1 + i % 5], '*/15 * * * *', runlog.parse_cron('*/15 * * * *'),
    'Europe/Oslo', now() + interval '5 minutes'
FROM generate_series(1, {SCHEDULES}) AS i;

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


def seq_scans_of_run_log(dsn: str) -> list[str]:
    """Plan lines of runlog.metrics()'s query that scan the whole run log (want none)."""
    with psycopg.connect(dsn) as conn:
        body = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE oid = 'runlog.metrics()'::regprocedure"
        ).fetchone()
        assert body is not None
        rows = conn.execute(f"EXPLAIN {body[0]}").fetchall()
    return [row[0] for row in rows if "Seq Scan on sync_run_log" in row[0]]


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
        scans = seq_scans_of_run_log(dsn)
        print(f"sequential scans of sync_run_log in the plan: {len(scans)}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
