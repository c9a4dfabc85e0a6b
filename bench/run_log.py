"""Benchmarks of the run log core, printed as ratios measured side by side.

1. A start_run + finish_run cycle through the functions vs the same INSERT +
   UPDATE as raw SQL on the same table: pgbench, same clients, rounds
   interleaved in one run. Target: throughput ratio >= 0.8.
2. last_runs for one organisation with 5 integrations at 100 and at 100,000
   runs per integration, calls interleaved. Target: within 1.5x of each other,
   under 2 ms at the larger size.

Run: make bench (or python -m bench.run_log). It starts a throwaway cluster;
PYRUNLOG_BENCH_DSN points it at an existing database instead.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
import uuid

import psycopg

from pyrunlog.localpg import LocalPostgres, find_bindir
from pyrunlog.migrate import migrate

CLIENTS = 4
SECONDS = 8
ROUNDS = 3

ORG_OF_CLIENT = "('00000000-0000-4000-8000-' || lpad(:client_id::text, 12, '0'))::uuid"

FUNCTION_CYCLE = f"""
SELECT id AS run_id FROM runlog.start_run({ORG_OF_CLIENT}, 'xledger') \\gset
SELECT 1 FROM runlog.finish_run(:run_id, 'succeeded', 10, 0);
"""

RAW_CYCLE = f"""
INSERT INTO runlog.sync_run_log
    (org_id, integration_type, status, triggered_by, started_at, heartbeat_at)
VALUES ({ORG_OF_CLIENT}, 'xledger', 'running', 'manual', now(), now())
RETURNING id AS run_id \\gset
UPDATE runlog.sync_run_log
SET status = 'succeeded', ended_at = greatest(clock_timestamp(), started_at),
    records_processed = 10, records_failed = 0, error_message = NULL
WHERE id = :run_id AND status = 'running';
"""


def pgbench_tps(dsn: str, script: str, seconds: int = SECONDS) -> float:
    """Transactions (cycles) per second of one pgbench run of the script."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [str(find_bindir() / "pgbench"), "-n", "-c", str(CLIENTS), "-j", "2",
             "-T", str(seconds), "-f", handle.name, dsn],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("tps ="))
    return float(line.split()[2])


def bench_cycle(dsn: str) -> tuple[float, float]:
    functions: list[float] = []
    raw: list[float] = []
    for _ in range(ROUNDS):
        functions.append(pgbench_tps(dsn, FUNCTION_CYCLE))
        raw.append(pgbench_tps(dsn, RAW_CYCLE))
    return statistics.median(functions), statistics.median(raw)


def seed_history(conn: psycopg.Connection[tuple[object, ...]], org: uuid.UUID, per: int) -> None:
    """5 integrations with `per` ended runs each, written in one statement."""
    conn.execute(
        """
        INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by,
            queued_at, started_at, ended_at, records_processed)
        SELECT %(org)s, 'integration_' || i, 'succeeded', 'scheduler',
            t, t, t + interval '30 seconds', 100
        FROM generate_series(1, 5) AS i,
             LATERAL (SELECT timestamptz '2020-01-01' + n * interval '15 minutes' AS t
                      FROM generate_series(1, %(per)s) AS n) AS s
        """,
        {"org": org, "per": per},
    )
    conn.execute("ANALYZE runlog.sync_run_log")


def time_last_runs(conn: psycopg.Connection[tuple[object, ...]], org: uuid.UUID) -> float:
    started = time.perf_counter()
    rows = conn.execute("SELECT * FROM runlog.last_runs(%s)", [org], prepare=True).fetchall()
    elapsed = time.perf_counter() - started
    assert len(rows) == 5, rows
    return elapsed


def bench_last_runs(dsn: str, calls: int = 2000) -> tuple[float, float]:
    small, large = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn:
        seed_history(conn, small, 100)
        seed_history(conn, large, 100_000)
        for _ in range(50):  # warm caches and plans
            time_last_runs(conn, small)
            time_last_runs(conn, large)
        small_times, large_times = [], []
        for _ in range(calls):
            small_times.append(time_last_runs(conn, small))
            large_times.append(time_last_runs(conn, large))
    return statistics.median(small_times) * 1000, statistics.median(large_times) * 1000


def main() -> None:
    external = os.environ.get("PYRUNLOG_BENCH_DSN")
    cluster = None if external else LocalPostgres().start()
    try:
        dsn = external or (cluster.dsn("postgres") if cluster else "")
        migrate(dsn)
        functions, raw = bench_cycle(dsn)
        print(f"start_run+finish_run cycle, {CLIENTS} clients, median of {ROUNDS} x {SECONDS}s:")
        print(f"  functions {functions:9.0f} cycles/s")
        print(f"  raw SQL   {raw:9.0f} cycles/s")
        print(f"  ratio functions/raw = {functions / raw:.2f} (target >= 0.80)")
        small, large = bench_last_runs(dsn)
        print("last_runs, one org, 5 integrations, median per call:")
        print(f"  100 runs/integration      {small:.3f} ms")
        print(f"  100,000 runs/integration  {large:.3f} ms")
        print(f"  ratio large/small = {large / small:.2f} (target <= 1.5, large < 2 ms)")
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
