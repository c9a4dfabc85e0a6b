"""The worker in-process: outcomes, timeouts, cancellation, wake-up, pre-warm, tick mode."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from pyrunlog import RunLog, RunStatus
from pyrunlog.app import App, PrewarmContext, SyncContext
from pyrunlog.localpg import LocalPostgres
from pyrunlog.worker import Worker
from tests.helpers import Conn
from tests.worker.conftest import wait_for

ORG = uuid.UUID("00000000-0000-4000-8000-000000000009")

StartWorker = Callable[..., Worker]


def ended(runlog: RunLog, run_id: int) -> bool:
    return any(r.id == run_id and r.status.ended for r in runlog.run_history(ORG, max_rows=1000))


def status_of(runlog: RunLog, run_id: int) -> tuple[RunStatus, str | None]:
    run = next(r for r in runlog.run_history(ORG, max_rows=1000) if r.id == run_id)
    return run.status, run.error_message


def test_worker_runs_queued_syncs_to_their_outcomes(
    runlog: RunLog, start_worker: StartWorker
) -> None:
    app = App()

    @app.handler("good")
    def good(ctx: SyncContext) -> None:
        ctx.report(processed=10)

    @app.handler("mixed")
    def mixed(ctx: SyncContext) -> None:
        ctx.add(processed=8, failed=2)

    @app.handler("broken")
    def broken(ctx: SyncContext) -> None:
        raise PermissionError("Xledger refused the API key")

    runs = {kind: runlog.request_sync(ORG, kind).id for kind in ("good", "mixed", "broken")}
    start_worker(app)
    for run_id in runs.values():
        wait_for(lambda run_id=run_id: ended(runlog, run_id), what=f"run {run_id}")
    assert status_of(runlog, runs["good"]) == (RunStatus.SUCCEEDED, None)
    assert status_of(runlog, runs["mixed"]) == (RunStatus.PARTIAL, None)
    assert status_of(runlog, runs["broken"]) == (
        RunStatus.FAILED,
        "PermissionError: Xledger refused the API key",
    )
    finished = {r.id: r for r in runlog.run_history(ORG)}
    assert finished[runs["mixed"]].records_failed == 2


def test_each_finished_run_is_one_info_line(
    runlog: RunLog, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    app = App()

    @app.handler("good")
    def good(ctx: SyncContext) -> None:
        ctx.report(processed=10, failed=1)

    run = runlog.request_sync(ORG, "good")
    with caplog.at_level("INFO", logger="pyrunlog.worker"):
        start_worker(app)
        wait_for(lambda: ended(runlog, run.id), what=f"run {run.id}")
        wait_for(lambda: any(f"run {run.id}:" in m for m in caplog.messages), what="the line")
    [line] = [m for m in caplog.messages if m.startswith(f"run {run.id}:")]
    assert line.startswith(f"run {run.id}: good of {ORG} partial, 10 records (1 failed) in ")
    assert line.endswith("s")


def test_a_handler_past_its_timeout_ends_failed(runlog: RunLog, start_worker: StartWorker) -> None:
    app = App()
    stopped = threading.Event()

    @app.handler("slow", timeout=0.5)
    def slow(ctx: SyncContext) -> None:
        try:
            ctx.sleep(30)
        finally:
            stopped.set()

    run = runlog.request_sync(ORG, "slow")
    start_worker(app)
    wait_for(lambda: ended(runlog, run.id), what="the timed-out run to end")
    assert status_of(runlog, run.id) == (RunStatus.FAILED, "handler timed out after 0.5s")
    assert stopped.wait(5), "the handler must be told to stop"


def test_cancelling_a_run_stops_its_handler(runlog: RunLog, start_worker: StartWorker) -> None:
    app = App()
    started, stopped = threading.Event(), threading.Event()

    @app.handler("long")
    def long(ctx: SyncContext) -> None:
        started.set()
        try:
            ctx.sleep(30)
        finally:
            stopped.set()

    run = runlog.request_sync(ORG, "long")
    start_worker(app)
    assert started.wait(10)
    runlog.cancel_run(run.id, "operator: wrong period")
    assert stopped.wait(5), "the handler must see the cancellation at its next heartbeat"
    assert status_of(runlog, run.id) == (RunStatus.CANCELLED, "operator: wrong period")


def test_notify_wakes_the_worker_long_before_its_poll(
    runlog: RunLog, start_worker: StartWorker
) -> None:
    app = App()
    started = threading.Event()

    @app.handler("fast")
    def fast(ctx: SyncContext) -> None:
        started.set()

    start_worker(app, poll_interval=60)
    time.sleep(0.5)  # the worker is now waiting on LISTEN
    runlog.request_sync(ORG, "fast")
    assert started.wait(5), "a NOTIFY must wake the worker; its poll is 60 s away"


def test_shutdown_cancels_runs_that_outlive_the_grace_period(
    runlog: RunLog, start_worker: StartWorker
) -> None:
    app = App()
    started = threading.Event()

    @app.handler("long")
    def long(ctx: SyncContext) -> None:
        started.set()
        ctx.sleep(30)

    run = runlog.request_sync(ORG, "long")
    worker = start_worker(app, grace_period=0.3)
    assert started.wait(10)
    worker.stop()
    wait_for(lambda: ended(runlog, run.id), what="the run to be cancelled")
    status, reason = status_of(runlog, run.id)
    assert status is RunStatus.CANCELLED
    assert reason is not None
    assert "shut down" in reason


def test_one_worker_prewarms_each_slot_and_the_outcome_is_recorded(
    runlog: RunLog, start_worker: StartWorker
) -> None:
    calls: list[PrewarmContext] = []
    app = App()

    def warm(context: PrewarmContext) -> None:
        calls.append(context)

    app.handler("xledger", prewarm=warm)(lambda ctx: None)
    slot = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    runlog.set_schedule(ORG, "xledger", "* * * * *", prewarm_lead=timedelta(minutes=2))
    for _ in range(3):
        start_worker(app)
    time.sleep(0.5)
    assert runlog.prewarm_signal() >= 1
    wait_for(lambda: len(calls) >= 1, what="the pre-warm hook")
    time.sleep(0.5)
    assert [c.slot for c in calls] == [slot], "exactly one worker pre-warms the slot"
    with runlog._pool.connection() as conn:
        rows = conn.execute("SELECT ok, latency_ms IS NOT NULL FROM runlog.prewarm_log").fetchall()
    assert rows == [(True, True)]


def test_tick_mode_drives_schedules_without_pg_cron(
    runlog: RunLog, start_worker: StartWorker, conn: Conn
) -> None:
    """The superuser back-dates the slot (no role may write next_slot)."""
    app = App()
    done = threading.Event()
    app.handler("xledger")(lambda ctx: done.set())
    runlog.set_schedule(ORG, "xledger", "* * * * *")
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = now() - interval '10 seconds'")
    start_worker(app, tick=True)
    assert done.wait(10), "the worker's tick must enqueue the due slot and run it"
    (run,) = runlog.run_history(ORG)
    assert run.triggered_by.value == "scheduler"
    assert runlog.scheduler_status()["driver"] == "worker"


@pytest.mark.parametrize("bad", [0, -1])
def test_worker_refuses_bad_concurrency(worker_dsn: str, bad: int) -> None:
    app = App()
    app.handler("x")(lambda ctx: None)
    with pytest.raises(ValueError, match="concurrency"):
        Worker(worker_dsn, app, concurrency=bad)


def test_app_refuses_a_second_handler_for_a_type() -> None:
    app = App()
    app.handler("x")(lambda ctx: None)
    with pytest.raises(ValueError, match="already registered"):
        app.handler("x")(lambda ctx: None)


def test_the_worker_reconnects_after_a_server_restart(
    runlog: RunLog, start_worker: StartWorker, cluster: LocalPostgres
) -> None:
    app = App()
    seen: list[int] = []
    app.handler("xledger")(lambda ctx: seen.append(ctx.run.id))
    first = runlog.request_sync(ORG, "xledger")
    start_worker(app)
    wait_for(lambda: ended(runlog, first.id), what="the first run")
    cluster.restart("fast")
    second = None
    for _ in range(50):  # the RunLog's own pooled connections were cut too
        try:
            second = runlog.request_sync(ORG, "xledger")
            break
        except Exception:
            time.sleep(0.2)
    assert second is not None
    wait_for(lambda: ended(runlog, second.id), timeout=30, what="a run after the restart")
    assert sorted(seen) == [first.id, second.id], "each run executed once"
    assert status_of(runlog, second.id)[0] is RunStatus.SUCCEEDED


def test_drift_alerts_are_logged_by_the_worker(
    runlog: RunLog, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    app = App()
    app.handler("xledger")(lambda ctx: None)
    start_worker(app)
    time.sleep(0.5)
    with caplog.at_level("WARNING", logger="pyrunlog.worker"):
        late = datetime.now(timezone.utc) - timedelta(minutes=9)
        runlog.request_sync(ORG, "xledger", "scheduler", late, "late-period")
        wait_for(lambda: any("drift" in r.getMessage() for r in caplog.records),
                 what="the drift warning")  # fmt: skip
    message = next(r.getMessage() for r in caplog.records if "drift" in r.getMessage())
    assert "xledger" in message
