"""start_run, finish_run and heartbeat: the life of a run."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.helpers import Conn, all_runs, call, sqlstate_of

ORG = uuid.UUID("00000000-0000-4000-8000-000000000001")


def start(conn: Conn, integration: str = "xledger", trigger: str = "manual") -> int:
    row = call(conn, "SELECT * FROM runlog.start_run(%s, %s, %s)", ORG, integration, trigger)
    return int(row["id"])


@pytest.mark.parametrize("trigger", ["manual", "scheduler"])
def test_start_run_creates_exactly_one_running_row(conn: Conn, trigger: str) -> None:
    run_id = start(conn, trigger=trigger)
    rows = all_runs(conn)
    assert len(rows) == 1, "start_run must insert exactly one row"
    row = rows[0]
    assert row["id"] == run_id
    assert row["status"] == "running"
    assert row["started_at"] is not None
    assert row["ended_at"] is None
    assert (row["records_processed"], row["records_failed"]) == (0, 0)
    assert row["triggered_by"] == trigger


@pytest.mark.parametrize("status", ["succeeded", "partial", "failed", "cancelled"])
def test_finish_run_moves_running_run_to_final_status(conn: Conn, status: str) -> None:
    run_id = start(conn)
    row = call(conn, "SELECT * FROM runlog.finish_run(%s, %s, 7, 1, 'why')", run_id, status)
    assert row["status"] == status
    assert row["ended_at"] >= row["started_at"]
    assert (row["records_processed"], row["records_failed"]) == (7, 1)
    assert row["duration_seconds"] >= 0


def test_finishing_an_ended_run_raises_not_running_and_changes_nothing(conn: Conn) -> None:
    run_id = start(conn)
    call(conn, "SELECT * FROM runlog.finish_run(%s, 'succeeded', 5)", run_id)
    before = all_runs(conn)
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT runlog.finish_run(%s, 'failed', 9, 9, 'late')", [run_id])
    assert info.value.sqlstate == "RL002"
    assert f"run {run_id} is not running: its status is succeeded" in str(info.value)
    assert all_runs(conn) == before, "a refused finish must not change the row"


@pytest.mark.parametrize("status", ["running", "queued", "timed_out", "done", "", None])
def test_finish_run_refuses_statuses_that_are_not_endings(conn: Conn, status: str | None) -> None:
    run_id = start(conn)
    before = all_runs(conn)
    assert sqlstate_of(conn, "SELECT runlog.finish_run(%s, %s)", run_id, status) == "22023"
    assert all_runs(conn) == before


def test_finish_run_with_null_error_message_clears_the_stored_error(conn: Conn) -> None:
    run_id = start(conn)
    conn.execute("UPDATE runlog.sync_run_log SET error_message = 'old' WHERE id = %s", [run_id])
    row = call(conn, "SELECT * FROM runlog.finish_run(%s, 'succeeded', 1, 0, NULL)", run_id)
    assert row["error_message"] is None


def test_finish_run_with_null_counts_keeps_the_stored_counts(conn: Conn) -> None:
    run_id = start(conn)
    call(conn, "SELECT * FROM runlog.heartbeat(%s, 40, 2)", run_id)
    row = call(conn, "SELECT * FROM runlog.finish_run(%s, 'partial')", run_id)
    assert (row["records_processed"], row["records_failed"]) == (40, 2)


def test_finish_run_truncates_a_long_error_to_2000_characters(conn: Conn) -> None:
    run_id = start(conn)
    message = "é" * 1_000_000
    row = call(conn, "SELECT * FROM runlog.finish_run(%s, 'failed', 0, 0, %s)", run_id, message)
    assert row["error_message"] == "é" * 2000


def test_heartbeat_records_progress_and_time(conn: Conn) -> None:
    run_id = start(conn)
    first = call(conn, "SELECT * FROM runlog.heartbeat(%s, 10)", run_id)
    second = call(conn, "SELECT * FROM runlog.heartbeat(%s, NULL, 3)", run_id)
    assert first["records_processed"] == 10
    assert (second["records_processed"], second["records_failed"]) == (10, 3)
    assert second["heartbeat_at"] >= first["heartbeat_at"]


def test_heartbeat_of_an_ended_run_raises_not_running(conn: Conn) -> None:
    run_id = start(conn)
    call(conn, "SELECT * FROM runlog.cancel_run(%s, 'operator')", run_id)
    assert sqlstate_of(conn, "SELECT runlog.heartbeat(%s)", run_id) == "RL002"


def test_a_second_start_for_a_running_integration_raises_already_running(conn: Conn) -> None:
    run_id = start(conn)
    with pytest.raises(psycopg.Error) as info:
        start(conn)
    assert info.value.sqlstate == "RL001"
    assert f"(run {run_id})" in str(info.value)
    assert len(all_runs(conn)) == 1


def test_another_integration_or_organisation_may_run_at_the_same_time(conn: Conn) -> None:
    start(conn, "xledger")
    start(conn, "dynamics_365")
    call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", uuid.uuid4())
    assert len(all_runs(conn)) == 3


def test_after_finishing_the_integration_can_start_again(conn: Conn) -> None:
    run_id = start(conn)
    call(conn, "SELECT * FROM runlog.finish_run(%s, 'failed')", run_id)
    assert start(conn) > run_id
