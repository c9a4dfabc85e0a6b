"""Fixtures for worker tests: a worker in a thread, workers in subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from pyrunlog.app import App
from pyrunlog.worker import Worker
from tests.worker.apps import EXECUTIONS_DDL

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_worker(worker_dsn: str) -> Iterator[Callable[..., Worker]]:
    """Start Workers in threads, logged in as a runlog_worker login; stopped at the end."""
    running: list[tuple[Worker, threading.Thread]] = []

    def start(app: App, as_dsn: str | None = None, **options: object) -> Worker:
        options.setdefault("poll_interval", 0.5)
        options.setdefault("heartbeat_interval", 0.3)
        options.setdefault("grace_period", 2.0)
        worker = Worker(as_dsn or worker_dsn, app, **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        running.append((worker, thread))
        return worker

    yield start
    for worker, _ in running:
        worker.stop()
    for _, thread in running:
        thread.join(timeout=10)


@pytest.fixture
def spawn(
    dsn: str, worker_dsn: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `python -m pyrunlog worker` processes; killed at the end of the test.

    They log in as a runlog_worker login, as deployed. Only the test app's
    record of executions (public.executions, instrumentation, not pyrunlog)
    is written through the superuser `dsn`. Each one's output goes to a log
    file in tmp_path (shown when a test fails).
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(EXECUTIONS_DDL)
        conn.execute("GRANT SELECT ON public.executions TO runlog_admin")  # tests read it
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, sleep: float = 0.0) -> subprocess.Popen[str]:
        env = {**os.environ, "PYRUNLOG_TEST_RECORD_DSN": dsn, "PYRUNLOG_TEST_SLEEP": str(sleep)}
        log = tmp_path / f"worker-{len(processes)}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "pyrunlog", "worker", "--dsn", worker_dsn,
                 "--app", "tests.worker.apps:app", "--poll-interval", "1",
                 "--heartbeat-interval", "0.5", *args],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll until condition() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def count(dsn: str, sql: str, *params: object) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])
