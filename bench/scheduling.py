"""Benchmarks of scheduling and the worker, printed side by side in one run.

1. Wake-up latency, request_sync to handler start, over 1,000 runs: p50 and
   p99 with LISTEN/NOTIFY and with polling only. Target: p99 < 50 ms (NOTIFY).
2. tick() with 1,000 / 10,000 / 100,000 schedules all due in one minute:
   seconds per tick (median of 3). Target: 100,000 in under 3 s, and
   10,000 -> 100,000 within 1.2x of linear (at most x12 for x10 schedules).
3. Worker throughput of no-op syncs at concurrency 1 and 8, next to
   procrastinate (from PyPI) running a no-op task on the same PostgreSQL.
   Target: >= 2x procrastinate.

Run: make bench (or python -m bench.scheduling; --parts tick runs part 2
alone). Needs the bench extra (procrastinate) for part 3; without it, part 3
reports pyrunlog alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

from pyrunlog.app import App, SyncContext
from pyrunlog.localpg import LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.repository import RunLog
from pyrunlog.worker import Worker


def create_database(cluster: LocalPostgres, name: str) -> str:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.dsn(name)


def run_worker(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


# -- 1. wake-up latency --------------------------------------------------------------


def wakeup_latencies(dsn: str, runs: int, listen: bool, poll_interval: float) -> list[float]:
    """Seconds from request_sync's commit to the handler's start, one run at a time."""
    started: dict[int, float] = {}
    arrived = threading.Event()
    app = App()

    @app.handler("wakeup")
    def handler(ctx: SyncContext) -> None:
        started[ctx.run.id] = time.perf_counter()
        arrived.set()

    worker = Worker(dsn, app, concurrency=2, listen=listen, poll_interval=poll_interval,
                    heartbeat_interval=30)  # fmt: skip
    thread = run_worker(worker)
    latencies = []
    try:
        with RunLog(dsn) as runlog:
            time.sleep(1.0)
            for _ in range(runs):
                arrived.clear()
                requested = time.perf_counter()
                run = runlog.request_sync(uuid.uuid4(), "wakeup")
                if not arrived.wait(10):
                    raise RuntimeError(f"run {run.id} never started")
                latencies.append(started[run.id] - requested)
    finally:
        worker.stop()
        thread.join(timeout=30)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- 2. tick ---------------------------------------------------------------------------


def tick_seconds(dsn: str, schedules: int, repeats: int = 3) -> float:
    """Median seconds of `repeats` ticks that each enqueue `schedules` due slots."""
    return statistics.median(one_tick_seconds(dsn, schedules) for _ in range(repeats))


def one_tick_seconds(dsn: str, schedules: int) -> float:
    """Seconds for one tick() that enqueues `schedules` due slots."""
    slot = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE runlog.sync_run_log, runlog.sync_schedule, runlog.schedule_slot")
        conn.execute(
            "WITH s AS (INSERT INTO runlog.sync_schedule (org_id, integration_type, cron,"
            " cron_spec, time_zone)"
            " SELECT gen_random_uuid(), 'xledger', '* * * * *', runlog.parse_cron('* * * * *'),"
            " 'Europe/Oslo' FROM generate_series(1, %s) RETURNING id)"
            " INSERT INTO runlog.schedule_slot (schedule_id, next_slot) SELECT id, %s FROM s",
            [schedules, slot],
        )
        conn.execute("VACUUM ANALYZE runlog.sync_schedule")
        conn.execute("VACUUM ANALYZE runlog.schedule_slot")
        conn.execute("VACUUM ANALYZE runlog.sync_run_log")
        started = time.perf_counter()
        row = conn.execute("SELECT runlog.tick(%s, 'bench')", [slot + timedelta(seconds=1)])
        elapsed = time.perf_counter() - started
        enqueued = row.fetchone()
    if enqueued != (schedules,):
        raise RuntimeError(f"tick enqueued {enqueued}, expected {schedules}")
    return elapsed


# -- 3. worker throughput vs procrastinate ------------------------------------------------


def pyrunlog_throughput(dsn: str, runs: int, concurrency: int) -> float:
    """No-op runs per second, from worker start until every queued run ended."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE runlog.sync_run_log")
        with conn.cursor() as cur:
            cur.executemany(
                "SELECT runlog.request_sync(%s, 'noop')", [(uuid.uuid4(),) for _ in range(runs)]
            )
    done = threading.Event()
    finished = 0
    lock = threading.Lock()
    app = App()

    @app.handler("noop")
    def noop(ctx: SyncContext) -> None:
        nonlocal finished
        with lock:
            finished += 1
            if finished == runs:
                done.set()

    worker = Worker(dsn, app, concurrency=concurrency, poll_interval=0.5, heartbeat_interval=30)
    started = time.perf_counter()
    thread = run_worker(worker)
    if not done.wait(600):
        raise RuntimeError("pyrunlog did not finish")
    while worker.runs_done < runs:  # the last finish_run committed
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    worker.stop()
    thread.join(timeout=30)
    return runs / elapsed


def procrastinate_throughput(dsn: str, runs: int, concurrency: int) -> float | None:
    """No-op jobs per second through procrastinate's worker, or None if not installed."""
    try:
        import procrastinate
    except ImportError:
        return None

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

    @app.task(name="noop")
    def noop() -> None:
        return None

    async def scenario() -> float:
        async with app.open_async():
            with psycopg.connect(dsn, autocommit=True) as conn:
                if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() == (None,):
                    await app.schema_manager.apply_schema_async()
                conn.execute("TRUNCATE procrastinate_jobs CASCADE")
            await noop.batch_defer_async(*([{}] * runs))
            started = time.perf_counter()
            await app.run_worker_async(
                concurrency=concurrency, wait=False, install_signal_handlers=False,
                fetch_job_polling_interval=0.5, delete_jobs="never",
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            with psycopg.connect(dsn) as conn:
                left = conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'"
                ).fetchone()
            if left != (0,):
                raise RuntimeError(f"procrastinate left {left} jobs")
            return runs / elapsed

    return asyncio.run(scenario())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", nargs="+", choices=["wakeup", "tick", "throughput"],
        default=["wakeup", "tick", "throughput"], help="which parts to run (default: all)",
    )  # fmt: skip
    parts = set(parser.parse_args().parts)
    cluster = LocalPostgres().start()
    try:
        dsn = create_database(cluster, "bench_pyrunlog")
        migrate(dsn)
        if "wakeup" in parts:
            wakeup_part(dsn)
        if "tick" in parts:
            tick_part(dsn)
        if "throughput" in parts:
            throughput_part(cluster, dsn)
    finally:
        cluster.stop()


def wakeup_part(dsn: str) -> None:
    print("1. wake-up latency, request_sync -> handler start, 1,000 runs:")
    for label, listen, poll in (
        ("LISTEN/NOTIFY", True, 5.0),
        ("polling every 50 ms", False, 0.05),
    ):
        lat = wakeup_latencies(dsn, 1000, listen, poll)
        print(f"   {label:22} p50 {1000 * statistics.median(lat):6.1f} ms"
              f"   p99 {1000 * percentile(lat, 0.99):6.1f} ms")  # fmt: skip


def tick_part(dsn: str) -> None:
    print("2. tick with all schedules due in one minute (median of 3):")
    results: dict[int, float] = {}
    for size in (1_000, 10_000, 100_000):
        results[size] = tick_seconds(dsn, size)
        per = 1e6 * results[size] / size
        print(f"   {size:>7,} schedules: {results[size]:6.2f} s per tick ({per:5.1f} us each)")
    growth = results[100_000] / results[10_000]
    print(f"   growth 10k->100k: x{growth:.1f} for x10 schedules, {growth / 10:.2f}x linear"
          " (target: within 1.2x of linear, 100k < 3 s)")  # fmt: skip


def throughput_part(cluster: LocalPostgres, dsn: str) -> None:
    print("3. worker throughput, no-op syncs (runs/s), same PostgreSQL:")
    procrastinate_dsn = create_database(cluster, "bench_procrastinate")
    for concurrency in (1, 8):
        ours = pyrunlog_throughput(dsn, 3000, concurrency)
        theirs = procrastinate_throughput(procrastinate_dsn, 3000, concurrency)
        line = f"   concurrency {concurrency}: pyrunlog {ours:7.0f}/s"
        if theirs is not None:
            line += f"   procrastinate {theirs:7.0f}/s   ratio {ours / theirs:4.1f}x (target >= 2x)"
        print(line)


if __name__ == "__main__":
    main()
