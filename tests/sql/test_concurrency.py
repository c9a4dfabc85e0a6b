"""Concurrent callers over real, interleaved connections."""

from __future__ import annotations

import threading
import uuid

import psycopg

from tests.helpers import Conn, all_runs

ORG = uuid.UUID("00000000-0000-4000-8000-000000000004")


def race(dsn: str, sql: str, params: list[object], callers: int) -> list[str | None]:
    """Run sql from `callers` connections released at once; each caller's SQLSTATE."""
    connections = [psycopg.connect(dsn, autocommit=True) for _ in range(callers)]
    barrier = threading.Barrier(callers)
    outcomes: list[str | None] = [None] * callers

    def attempt(index: int) -> None:
        barrier.wait()
        try:
            connections[index].execute(sql, params)
        except psycopg.Error as exc:
            outcomes[index] = exc.sqlstate or "unknown"

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for connection in connections:
        connection.close()
    return outcomes


def test_16_concurrent_starts_of_one_integration_let_exactly_one_run(dsn: str, conn: Conn) -> None:
    outcomes = race(dsn, "SELECT runlog.start_run(%s, 'xledger')", [ORG], 16)
    assert outcomes.count(None) == 1, f"exactly one start must succeed: {outcomes}"
    assert sorted(o for o in outcomes if o) == ["RL001"] * 15
    assert [r["status"] for r in all_runs(conn)] == ["running"]


def test_16_concurrent_requests_for_one_period_queue_it_once(dsn: str, conn: Conn) -> None:
    sql = "SELECT runlog.request_sync(%s, 'xledger', 'scheduler', now(), 'org/xledger/slot')"
    outcomes = race(dsn, sql, [ORG], 16)
    assert outcomes.count(None) == 1, f"exactly one request must succeed: {outcomes}"
    assert sorted(o for o in outcomes if o) == ["RL003"] * 15
    assert len(all_runs(conn)) == 1


def test_concurrent_claims_never_run_one_integration_twice(dsn: str, conn: Conn) -> None:
    for _ in range(5):
        conn.execute("SELECT runlog.request_sync(%s, 'xledger')", [ORG])
    conn.execute("SELECT runlog.request_sync(%s, 'visma')", [ORG])
    outcomes = race(dsn, "SELECT runlog.claim_next('w')", [], 8)
    assert outcomes == [None] * 8, "claim_next must not raise under contention"
    running = [r["integration_type"] for r in all_runs(conn) if r["status"] == "running"]
    assert sorted(running) == ["visma", "xledger"]
