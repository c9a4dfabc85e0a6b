"""request_sync, claim_next, cancel_run and idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.helpers import Conn, all_runs, call, sqlstate_of

ORG = uuid.UUID("00000000-0000-4000-8000-000000000002")


def request(conn: Conn, integration: str = "xledger", key: str | None = None, **kw: object) -> int:
    row = call(
        conn,
        "SELECT * FROM runlog.request_sync(%s, %s, %s, %s, %s)",
        ORG,
        integration,
        kw.get("trigger", "manual"),
        kw.get("scheduled_for"),
        key,
    )
    assert row["status"] == "queued"
    assert row["started_at"] is None
    return int(row["id"])


def claim(conn: Conn, worker: str = "w1", types: list[str] | None = None) -> int | None:
    row = call(conn, "SELECT * FROM runlog.claim_next(%s, %s)", worker, types)
    return None if row["id"] is None else int(row["id"])


def test_request_sync_notifies_workers(dsn: str, conn: Conn) -> None:
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_queued")
        run_id = request(conn)
        notices = list(listener.notifies(timeout=5, stop_after=1))
    assert len(notices) == 1
    assert notices[0].payload == "xledger", "the integration type, no org or run id"
    assert str(run_id) not in notices[0].payload


def test_claim_next_takes_the_oldest_due_run_and_marks_it_running(conn: Conn) -> None:
    first = request(conn, "xledger")
    request(conn, "dynamics_365")
    assert claim(conn, "worker-a") == first
    row = next(r for r in all_runs(conn) if r["id"] == first)
    assert (row["status"], row["worker_id"]) == ("running", "worker-a")
    assert row["started_at"] is not None
    assert row["heartbeat_at"] is not None


def test_claim_next_returns_null_when_nothing_is_queued(conn: Conn) -> None:
    assert claim(conn) is None


def test_claim_next_skips_runs_not_yet_due(conn: Conn) -> None:
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    request(conn, scheduled_for=later, trigger="scheduler")
    assert claim(conn) is None


def test_claim_next_skips_an_integration_that_is_running(conn: Conn) -> None:
    call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    request(conn, "xledger")
    other = request(conn, "dynamics_365")
    assert claim(conn) == other
    assert claim(conn) is None, "xledger is busy: its queued run must wait"


def test_claim_next_honours_the_integration_filter(conn: Conn) -> None:
    request(conn, "xledger")
    wanted = request(conn, "dynamics_365")
    assert claim(conn, types=["dynamics_365"]) == wanted
    assert claim(conn, types=["visma"]) is None


def test_an_idempotency_key_cannot_be_live_twice(conn: Conn) -> None:
    first = request(conn, key="org/xledger/2026-11-29T10:00")
    with pytest.raises(psycopg.Error) as info:
        request(conn, "dynamics_365", key="org/xledger/2026-11-29T10:00")
    assert info.value.sqlstate == "RL003"
    assert f"run {first}" in str(info.value)
    state = sqlstate_of(
        conn, "SELECT runlog.start_run(%s, 'visma', 'manual', NULL, %s)", ORG,
        "org/xledger/2026-11-29T10:00",
    )  # fmt: skip
    assert state == "RL003", "start_run must honour the key too"
    assert len(all_runs(conn)) == 1


@pytest.mark.parametrize("ending", ["succeeded", "partial"])
def test_a_key_that_succeeded_cannot_run_again(conn: Conn, ending: str) -> None:
    request(conn, key="k")
    run_id = claim(conn)
    call(conn, "SELECT * FROM runlog.finish_run(%s, %s)", run_id, ending)
    assert sqlstate_of(conn, "SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL, 'k')",
                       ORG) == "RL003"  # fmt: skip


@pytest.mark.parametrize(
    "ending",
    [
        "SELECT * FROM runlog.fail_run(%s, 'config_error')",  # dead at once: never retried
        "SELECT * FROM runlog.finish_run(%s, 'cancelled')",
    ],
)
def test_after_the_run_for_a_key_dies_the_key_can_run_again(conn: Conn, ending: str) -> None:
    request(conn, key="k")
    run_id = claim(conn)
    call(conn, ending, run_id)
    retry = request(conn, key="k")
    assert claim(conn) == retry


def test_cancel_run_cancels_a_queued_run_with_its_reason(conn: Conn) -> None:
    run_id = request(conn)
    row = call(conn, "SELECT * FROM runlog.cancel_run(%s, 'not needed')", run_id)
    assert (row["status"], row["error_message"]) == ("cancelled", "not needed")
    assert row["ended_at"] is not None
    assert row["started_at"] is None
    assert claim(conn) is None


def test_cancel_run_of_an_ended_run_raises_not_running(conn: Conn) -> None:
    run_id = request(conn)
    call(conn, "SELECT * FROM runlog.cancel_run(%s)", run_id)
    before = all_runs(conn)
    assert sqlstate_of(conn, "SELECT runlog.cancel_run(%s)", run_id) == "RL002"
    assert all_runs(conn) == before


def test_cancel_run_of_an_unknown_run_raises_not_found(conn: Conn) -> None:
    assert sqlstate_of(conn, "SELECT runlog.cancel_run(424242)") == "RL004"


def test_idempotency_keys_are_per_organisation(conn: Conn) -> None:
    other = uuid.UUID("00000000-0000-4000-8000-0000000000f2")
    request(conn, key="2026-11")
    call(conn, "SELECT * FROM runlog.request_sync(%s, 'xledger', 'manual', NULL, '2026-11')", other)
    assert len(all_runs(conn)) == 2, "another organisation's key neither blocks nor reveals"


def test_a_lock_held_elsewhere_gives_a_clear_error_within_the_lock_timeout(
    dsn: str, conn: Conn
) -> None:
    import time

    run = call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    with psycopg.connect(dsn) as holder:
        holder.execute("SELECT 1 FROM runlog.sync_run_log WHERE id = %s FOR UPDATE", [run["id"]])
        started = time.monotonic()
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT runlog.finish_run(%s, 'succeeded')", [run["id"]])
        waited = time.monotonic() - started
        holder.rollback()
    assert info.value.sqlstate == "55P03", "lock_not_available, not a hang"
    assert waited < 30
    assert all_runs(conn)[0]["status"] == "running", "nothing changed"
