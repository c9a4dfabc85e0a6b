"""Load and memory figures for docs/reliability.md, printed in one run.

1. 16 concurrent clients for 60 seconds of mixed traffic (start+finish,
   last_runs, run_history), each on its own connection: throughput, p50 and
   p99 latency per operation, and errors (target: zero).
2. Worker memory across 10,000 no-op runs: RSS after 1,000 and after 10,000
   runs (target: within 10%).

Run: python -m bench.reliability (part of make bench).
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psycopg

from bench.scheduling import create_database, run_worker
from pyrunlog.app import App, SyncContext
from pyrunlog.localpg import LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.repository import RunLog
from pyrunlog.worker import Worker

CLIENTS = 16
SECONDS = 60.0


def mixed_load(dsn: str, clients: int, seconds: float) -> tuple[dict[str, list[float]], list[str]]:
    """Latencies per operation and the errors seen, from `clients` threads."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    orgs = [uuid.uuid4() for _ in range(clients)]
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        org = orgs[index]
        mine: dict[str, list[float]] = defaultdict(list)
        with psycopg.connect(dsn, autocommit=True) as conn:
            runlog = RunLog(conn)
            while time.monotonic() < stop:
                choice = rng.random()
                started = time.perf_counter()
                try:
                    if choice < 0.5:
                        run = runlog.start_run(
                            org, rng.choice(["xledger", "visma", "dynamics_365"])
                        )
                        runlog.finish_run(run.id, "succeeded", rng.randint(0, 500), 0)
                        name = "start+finish"
                    elif choice < 0.8:
                        runlog.last_runs(org)
                        name = "last_runs"
                    else:
                        runlog.run_history(org, max_rows=50)
                        name = "run_history"
                except Exception as exc:
                    with lock:
                        errors.append(repr(exc))
                    continue
                mine[name].append(time.perf_counter() - started)
        with lock:
            for name, values in mine.items():
                latencies[name].extend(values)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def rss_mb() -> float:
    """The current resident set size of this process, in MiB (from /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def worker_memory(dsn: str, runs: int) -> list[tuple[int, float]]:
    """RSS after each batch of 1,000 no-op runs through one worker."""
    samples: list[tuple[int, float]] = []
    done = threading.Semaphore(0)
    app = App()

    @app.handler("noop")
    def noop(ctx: SyncContext) -> None:
        done.release()

    worker = Worker(dsn, app, concurrency=4, poll_interval=0.2, heartbeat_interval=5)
    thread = run_worker(worker)
    try:
        for batch in range(runs // 1000):
            with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
                cur.executemany(
                    "SELECT runlog.request_sync(%s, 'noop')", [(uuid.uuid4(),) for _ in range(1000)]
                )
            for _ in range(1000):
                if not done.acquire(timeout=60):
                    raise RuntimeError("the worker stalled")
            samples.append(((batch + 1) * 1000, rss_mb()))
    finally:
        worker.stop()
        thread.join(timeout=30)
    return samples


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else SECONDS
    cluster = LocalPostgres(settings={"max_connections": "300"}).start()
    try:
        dsn = create_database(cluster, "bench_load")
        migrate(dsn)
        latencies, errors = mixed_load(dsn, CLIENTS, seconds)
        total = sum(len(v) for v in latencies.values())
        print(f"1. mixed load, {CLIENTS} clients for {seconds:.0f} s: {total / seconds:,.0f} ops/s,"
              f" {len(errors)} errors")  # fmt: skip
        for name, values in sorted(latencies.items()):
            values.sort()
            p99 = values[int(0.99 * (len(values) - 1))]
            p50 = statistics.median(values)
            rate = len(values) / seconds
            print(
                f"   {name:13} {rate:7,.0f}/s   p50 {1000 * p50:6.2f} ms   p99 {1000 * p99:6.2f} ms"
            )
        if errors:
            print("   first errors:", errors[:3])
        memory_dsn = create_database(cluster, "bench_memory")
        migrate(memory_dsn)
        samples = worker_memory(memory_dsn, 10_000)
        first, last = samples[0][1], samples[-1][1]
        growth = 100 * (last - first) / first
        print(
            f"2. worker memory (RSS): {first:.1f} MiB after {samples[0][0]:,} runs,"
            f" {last:.1f} MiB after {samples[-1][0]:,} runs ({growth:+.1f}%, target within 10%)"
        )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
