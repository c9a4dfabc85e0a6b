"""Notifications are public hints: they name no organisation and make no worker act."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pyrunlog import RunLog
from pyrunlog.app import App, PrewarmContext, SyncContext
from pyrunlog.worker import CHANNELS, Worker
from tests.conftest import Server
from tests.helpers import Conn, connect_as, sqlstate_of
from tests.security.conftest import HOME, VICTIM, victim_works

FUTURE = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
FORGED = [
    "not json",
    "",
    "{",
    "xledger",
    "drift",
    "health",
    json.dumps({"org_id": str(VICTIM), "integration_type": "xledger", "slot": FUTURE}),
    json.dumps(
        {
            "kind": "drift",
            "org_id": str(VICTIM),
            "integration_type": "xledger",
            "drift_seconds": 3600,
            "scheduled_for": FUTURE,
        }
    ),
    json.dumps(
        {
            "kind": "health",
            "org_id": str(VICTIM),
            "integration_type": "xledger",
            "from": "healthy",
            "to": "unhealthy",
            "error": "forged",
        }
    ),
    "[1, 2]",
    "null",
    "x" * 7999,
    "\u00e9\u00e9\u00e9 \U0001f600",
]


def listen_everywhere(conn: Conn) -> None:
    for channel in CHANNELS:
        conn.execute(f"LISTEN {channel}")


@pytest.fixture
def stranger(dsn: str, server: Server) -> Iterator[Conn]:
    """A LOGIN role with no runlog role at all: anyone who can connect."""
    name = f"stranger_{uuid.uuid4().hex[:8]}"
    with server.admin() as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN')
    try:
        with psycopg.connect(make_conninfo(dsn, user=name), autocommit=True) as conn:
            yield conn
    finally:
        with server.admin() as admin:
            admin.execute(f'DROP ROLE "{name}"')


def test_listeners_on_every_channel_learn_nothing_naming_other_organisations(
    admin_runlog: RunLog, tenant: Conn, stranger: Conn
) -> None:
    assert sqlstate_of(stranger, "SELECT count(*) FROM runlog.sync_run_log") == "42501"
    for listener in (tenant, stranger):
        listen_everywhere(listener)
    naming = victim_works(admin_runlog)
    for listener in (tenant, stranger):
        heard = list(listener.notifies(timeout=1))
        assert {n.channel for n in heard} == set(CHANNELS), "every channel carried a notification"
        for notice in heard:
            for name in naming:
                assert name not in notice.payload, f"{notice.channel} said {notice.payload!r}"
        assert {n.payload for n in heard} <= {"xledger", "visma", "drift", "health"}


@pytest.fixture
def worker_app() -> tuple[App, list[PrewarmContext], list[SyncContext]]:
    """An app that records every pre-warm and sync it is asked to do."""
    app = App()
    warmed: list[PrewarmContext] = []
    synced: list[SyncContext] = []
    app.handler("xledger", prewarm=warmed.append)(synced.append)
    app.handler("visma")(synced.append)
    return app, warmed, synced


@pytest.fixture
def running_worker(
    worker_dsn: str, worker_app: tuple[App, list[PrewarmContext], list[SyncContext]]
) -> Iterator[Worker]:
    """A worker (as a runlog_worker login) running its loop in a thread."""
    worker = Worker(worker_dsn, worker_app[0], poll_interval=60.0, worker_id="victim-worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    time.sleep(1.0)  # listening
    yield worker
    worker.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def wait_for(condition: Callable[[], object], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_forged_and_malformed_payloads_on_every_channel_move_no_worker(
    dsn: str,
    conn: Conn,
    admin_runlog: RunLog,
    login_role: Callable[[str], str],
    worker_app: tuple[App, list[PrewarmContext], list[SyncContext]],
    running_worker: Worker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, warmed, synced = worker_app
    caplog.set_level(logging.DEBUG, logger="pyrunlog.worker")
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 * * *")  # a schedule, nothing planned
    with connect_as(dsn, login_role("runlog_reader"), HOME) as attacker:
        for channel in CHANNELS:
            for payload in FORGED:
                attacker.execute("SELECT pg_notify(%s, %s)", [channel, payload])
    time.sleep(2.0)

    assert warmed == [], "a forged notification made the worker pre-warm"
    assert synced == [], "a forged notification made the worker sync"
    assert conn.execute("SELECT count(*) FROM runlog.prewarm_log").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone() == (0,)
    said = caplog.text
    assert "drift:" not in said, "a forged alert was logged as a fact"
    assert "health:" not in said, "a forged alert was logged as a fact"
    assert "ignored a 7999-character notification" in said
    assert "ignored notification on runlog_alert: 'not json'" in said

    # Still running, and still acting on what the database says.
    run = admin_runlog.request_sync(VICTIM, "visma")
    assert wait_for(lambda: [s for s in synced if s.run.id == run.id]), "the worker stopped"
    admin_runlog.set_schedule(VICTIM, "xledger", "* * * * *", prewarm_lead=timedelta(minutes=2))
    assert admin_runlog.prewarm_signal() == 1
    assert wait_for(lambda: len(warmed) == 1), "a planned pre-warm was not run"
    assert warmed[0].org_id == VICTIM
    late = datetime.now(timezone.utc) - timedelta(hours=1)
    admin_runlog.start_run(VICTIM, "visma", "scheduler", late, "late")
    assert wait_for(lambda: "drift: visma of" in caplog.text), "a real alert was not logged"


def test_a_worker_claims_only_prewarms_the_database_planned(
    worker_dsn: str, admin_runlog: RunLog
) -> None:
    """claim_prewarm refuses a slot no schedule planned, even with a valid-looking org and slot."""
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 * * *")
    slot = datetime.now(timezone.utc) + timedelta(seconds=30)
    with RunLog(worker_dsn) as worker:
        assert worker.claim_prewarm(VICTIM, "xledger", slot, "w1") is False
        assert worker.claim_prewarms("w1", ["xledger"]) == []
        admin_runlog.set_schedule(VICTIM, "xledger", "* * * * *", prewarm_lead=timedelta(minutes=2))
        assert admin_runlog.prewarm_signal() == 1
        claimed = worker.claim_prewarms("w1", ["xledger"])
        assert [(org, kind) for org, kind, _ in claimed] == [(VICTIM, "xledger")]
        assert worker.claim_prewarms("w2", ["xledger"]) == [], "each pre-warm goes to one worker"
        assert worker.claim_prewarm(VICTIM, "xledger", claimed[0][2], "w3") is False


def test_alerts_reach_workers_from_the_database_only(
    worker_dsn: str, admin_runlog: RunLog, tenant: Conn
) -> None:
    tenant.execute("SELECT pg_notify('runlog_alert', 'drift')")
    with RunLog(worker_dsn) as worker:
        assert worker.recent_alerts() == []
        naming = victim_works(admin_runlog)
        alerts = worker.recent_alerts()
        assert [(a["kind"], a["org_id"]) for a in alerts] == [("drift", VICTIM), ("health", VICTIM)]
        assert worker.recent_alerts(alerts[-1]["id"]) == []
    assert naming
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        tenant.execute("SELECT * FROM runlog.recent_alerts()")
