"""Benchmarks of retries, printed as ratios measured side by side.

1. A fail-and-retry cycle (start_run, then fail_run with transient_error,
   which queues the next attempt in the same transaction) vs a plain
   start_run + finish_run cycle: pgbench, same clients, rounds interleaved.
   Target: throughput ratio >= 0.8.
2. claim_next with 100,000 pending retries (queued, due in the future) vs an
   empty queue, calls interleaved, each claiming one due run. Target: within
   1.5x.

Run: make bench (or python -m bench.retries). It starts a throwaway cluster.
"""

from __future__ import annotations

import statistics
import time
import uuid

import psycopg

from bench.run_log import CLIENTS, ORG_OF_CLIENT, pgbench_tps
from bench.scheduling import create_database
from pyrunlog.localpg import LocalPostgres
from pyrunlog.migrate import migrate

# Short rounds, alternating: load from elsewhere on a shared machine hits both sides.
ROUNDS = 7
SECONDS = 4

PLAIN_CYCLE = f"""
SELECT id AS run_id FROM runlog.start_run({ORG_OF_CLIENT}, 'xledger', 'manual', NULL,
    gen_random_uuid()::text) \\gset
SELECT 1 FROM runlog.finish_run(:run_id, 'succeeded', 10, 0);
"""

FAIL_CYCLE = f"""
SELECT id AS run_id FROM runlog.start_run({ORG_OF_CLIENT}, 'xledger', 'manual', NULL,
    gen_random_uuid()::text) \\gset
SELECT 1 FROM runlog.fail_run(:run_id, 'transient_error', '503 Service Unavailable');
"""


def bench_cycles(dsn: str) -> tuple[float, float]:
    failing: list[float] = []
    plain: list[float] = []
    for _ in range(ROUNDS):
        failing.append(pgbench_tps(dsn, FAIL_CYCLE, SECONDS))
        plain.append(pgbench_tps(dsn, PLAIN_CYCLE, SECONDS))
    return statistics.median(failing), statistics.median(plain)


def seed_pending_retries(dsn: str, count: int) -> None:
    """count queued retries (attempt 2) of distinct periods, due in 5 to 30 minutes."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT runlog.start_run(gen_random_uuid(), 'xledger')")  # the retry_of
        conn.execute(
            "INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by,"
            " idempotency_key, attempt, retry_of, counted_attempt, run_after)"
            " SELECT gen_random_uuid(), 'xledger', 'queued', 'scheduler', 'period-' || n, 2, 1, 2,"
            " now() + interval '5 minutes' + n * interval '15 milliseconds'"
            " FROM generate_series(1, %s) AS n",
            [count],
        )
        conn.execute("ANALYZE runlog.sync_run_log")


def time_claim(conn: psycopg.Connection[tuple[object, ...]], org: uuid.UUID) -> float:
    """Queue one due run, then time the claim_next that takes it; finish it afterwards."""
    conn.execute("SELECT runlog.request_sync(%s, 'visma')", [org])
    started = time.perf_counter()
    row = conn.execute("SELECT id FROM runlog.claim_next('bench')", prepare=True).fetchone()
    elapsed = time.perf_counter() - started
    assert row is not None
    assert row[0] is not None
    conn.execute("SELECT runlog.finish_run(%s, 'succeeded')", [row[0]])
    return elapsed


def bench_claims(empty_dsn: str, pending_dsn: str, calls: int = 1000) -> tuple[float, float]:
    org = uuid.uuid4()
    with (
        psycopg.connect(empty_dsn, autocommit=True) as empty,
        psycopg.connect(pending_dsn, autocommit=True) as pending,
    ):
        for _ in range(50):  # warm caches and plans
            time_claim(empty, org)
            time_claim(pending, org)
        empty_times, pending_times = [], []
        for _ in range(calls):
            empty_times.append(time_claim(empty, org))
            pending_times.append(time_claim(pending, org))
    return statistics.median(empty_times) * 1000, statistics.median(pending_times) * 1000


def main() -> None:
    cluster = LocalPostgres().start()
    try:
        cycles_dsn = create_database(cluster, "bench_retry_cycles")
        empty_dsn = create_database(cluster, "bench_empty_queue")
        pending_dsn = create_database(cluster, "bench_pending_retries")
        for dsn in (cycles_dsn, empty_dsn, pending_dsn):
            migrate(dsn)
        failing, plain = bench_cycles(cycles_dsn)
        print(
            f"fail-and-retry vs start+finish cycle, {CLIENTS} clients,"
            f" median of {ROUNDS} x {SECONDS}s:"
        )
        print(f"  start_run + fail_run (retry queued) {failing:9.0f} cycles/s")
        print(f"  start_run + finish_run              {plain:9.0f} cycles/s")
        print(f"  ratio fail/plain = {failing / plain:.2f} (target >= 0.80)")
        seed_pending_retries(pending_dsn, 100_000)
        empty, pending = bench_claims(empty_dsn, pending_dsn)
        print("claim_next taking one due run, median per call:")
        print(f"  empty queue                    {empty:.3f} ms")
        print(f"  100,000 pending future retries {pending:.3f} ms")
        print(f"  ratio pending/empty = {pending / empty:.2f} (target <= 1.5)")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
