"""A flood of forged notifications makes a worker ask the database at most ten times a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pyrunlog import RunLog
from pyrunlog.app import App, PrewarmContext, SyncContext
from pyrunlog.wakeups import BURST, ROUNDS_PER_SECOND, WakeBudget
from pyrunlog.worker import Worker
from tests.helpers import Conn, connect_as
from tests.security.conftest import HOME
from tests.worker.conftest import wait_for

FLOOD_SECONDS = 2.0
ROUNDS = ("claim_runs", "claim_prewarms", "recent_alerts")


def counting(worker: Worker) -> dict[str, int]:
    """Count the worker's calls of each round's function (the real functions still run)."""
    calls = dict.fromkeys(ROUNDS, 0)
    for name in ROUNDS:
        real = getattr(worker.runlog, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _real(*args, **kwargs)

        setattr(worker.runlog, name, counted)
    return calls


def test_a_notification_flood_is_debounced(
    dsn: str,
    worker_dsn: str,
    conn: Conn,
    runlog: RunLog,
    login_role: Callable[[str], str],
) -> None:
    runlog.set_schedule(HOME, "xledger", "0 6 * * *")
    app = App()

    def warm(ctx: PrewarmContext) -> None:
        pass

    @app.handler("xledger", prewarm=warm)
    def sync(ctx: SyncContext) -> None:
        ctx.report(processed=1)

    worker = Worker(worker_dsn, app, poll_interval=30.0, heartbeat_interval=0.3, grace_period=2.0)
    calls = counting(worker)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # the first rounds at start
        before = dict(calls)
        sent = 0
        with connect_as(dsn, login_role("runlog_reader"), HOME) as attacker:
            started = time.monotonic()
            while time.monotonic() - started < FLOOD_SECONDS:
                attacker.execute(
                    "SELECT pg_notify('runlog_queued', 'xledger'),"
                    " pg_notify('runlog_prewarm', 'xledger'), pg_notify('runlog_alert', 'drift')"
                )
                sent += 1
            elapsed = time.monotonic() - started
        assert sent >= 400, "the flood was a flood"
        bound = BURST + elapsed * ROUNDS_PER_SECOND + 1
        for name in ROUNDS:
            rounds = calls[name] - before[name]
            assert 1 <= rounds <= bound, f"{name}: {rounds} calls for {sent} notifications"
        # A genuine wake-up still claims at once (the next poll is 30 s away).
        runlog.request_sync(HOME, "xledger")
        wait_for(
            lambda: (
                conn.execute(
                    "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'succeeded'"
                ).fetchone()
                == (1,)
            ),
            5,
            "the requested run",
        )
    finally:
        worker.stop()
        thread.join(timeout=10)


def test_the_budget_refills_at_its_rate_and_with_work_found() -> None:
    now = [0.0]
    budget = WakeBudget(rate=10.0, burst=2.0, clock=lambda: now[0])
    assert [budget.take() for _ in range(3)] == [True, True, False]
    assert budget.seconds_until_next() == pytest.approx(0.1)
    now[0] += 0.1
    assert budget.take()
    assert not budget.take()
    budget.found_work()  # a genuine wake-up found a run: the next may come at once
    assert budget.take()
