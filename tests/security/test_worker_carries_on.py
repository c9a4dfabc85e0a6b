"""The worker outlives the errors a hostile or busy database gives it."""

from __future__ import annotations

import logging
import threading

import pytest

from pyrunlog import RunLog
from pyrunlog.app import App, SyncContext
from pyrunlog.worker import Worker
from tests.helpers import Conn
from tests.security.conftest import VICTIM
from tests.worker.conftest import wait_for


def succeeded(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM runlog.sync_run_log WHERE status = 'succeeded'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_lock_timeout_in_tick_is_logged_and_the_worker_carries_on(
    worker_dsn: str, conn: Conn, runlog: RunLog, caplog: pytest.LogCaptureFixture
) -> None:
    """The superuser's ACCESS EXCLUSIVE lock on runlog.settings stands in for a
    migration (or any session) holding what tick reads past its lock_timeout:
    maintain raises pyrunlog.errors.LockTimeout in the worker's main loop."""
    caplog.set_level(logging.WARNING, logger="pyrunlog.worker")
    runlog.set_schedule(VICTIM, "xledger", "* * * * *")
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = now() - interval '30 seconds'")
    app = App()

    @app.handler("xledger")
    def sync(ctx: SyncContext) -> None:
        ctx.report(processed=1)

    worker = Worker(
        worker_dsn, app, tick=True, poll_interval=0.2, heartbeat_interval=0.3, grace_period=2.0
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    conn.execute("BEGIN")
    conn.execute("LOCK TABLE runlog.settings IN ACCESS EXCLUSIVE MODE")
    try:
        thread.start()
        wait_for(lambda: "tick (runlog.maintain) failed" in caplog.text, 20, "the warning")
        assert "lock timeout" in caplog.text
        assert thread.is_alive(), "the worker died on LockTimeout"
    finally:
        conn.execute("ROLLBACK")
    try:
        wait_for(lambda: succeeded(conn) >= 1, 30, "the next tick's run to succeed")
        assert thread.is_alive()
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
