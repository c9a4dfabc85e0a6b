"""A worker cannot choose the time: ticks and health checks run at the database's clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg

from pyrunlog import RunLog
from tests.helpers import Conn, sqlstate_of
from tests.security.conftest import VICTIM

NEXT_YEAR = datetime.now(timezone.utc) + timedelta(days=365)


def test_a_worker_cannot_tick_at_a_time_of_its_choosing(
    worker_dsn: str, conn: Conn, admin_runlog: RunLog
) -> None:
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 1 1 *")  # next slot: next 1 January
    before = conn.execute("SELECT next_slot FROM runlog.schedule_slot").fetchone()
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        assert sqlstate_of(worker, "SELECT runlog.maintain('w', %s)", NEXT_YEAR) == "42883"
        assert sqlstate_of(worker, "SELECT runlog.tick(%s)", NEXT_YEAR) == "42501"
        assert sqlstate_of(worker, "SELECT runlog.prewarm(%s)", NEXT_YEAR) == "42501"
        assert worker.execute("SELECT * FROM runlog.maintain('w')").fetchall() == [(0, 0, 0)]
    assert conn.execute("SELECT next_slot FROM runlog.schedule_slot").fetchone() == before
    assert conn.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone() == (0,)


def test_a_worker_cannot_claim_health_checks_at_a_time_of_its_choosing(
    worker_dsn: str, conn: Conn, admin_runlog: RunLog
) -> None:
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 * * *")
    conn.execute("UPDATE runlog.integration_health SET next_check_at = now() + interval '1 day'")
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        for sql in (
            "SELECT * FROM runlog.claim_health_checks('w', '{xledger}', %s::timestamptz)",
            "SELECT * FROM runlog.claim_health_checks('w', '{xledger}', %s::timestamptz, 10)",
        ):
            assert sqlstate_of(worker, sql, NEXT_YEAR) == "42883", sql
        sql = "SELECT * FROM runlog.claim_health_checks_at('w', '{xledger}', %s)"
        assert sqlstate_of(worker, sql, NEXT_YEAR) == "42501"
        claimed = worker.execute("SELECT * FROM runlog.claim_health_checks('w', '{xledger}')")
        assert claimed.fetchall() == [], "not due yet by the database's clock"
    due = conn.execute("SELECT next_check_at > now() FROM runlog.integration_health").fetchone()
    assert due == (True,)


def test_a_worker_cannot_push_the_next_check_with_its_own_claim_time(
    worker_dsn: str, conn: Conn, admin_runlog: RunLog
) -> None:
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 * * *")
    conn.execute("UPDATE runlog.integration_health SET next_check_at = now() - interval '1 minute'")
    with RunLog(worker_dsn) as worker:
        ((org, kind, _),) = worker.claim_health_checks("w", ["xledger"])
        worker.record_health_check(org, kind, True, 5, claimed_at=NEXT_YEAR)
    row = conn.execute(
        "SELECT next_check_at - now() < interval '1 hour' FROM runlog.integration_health"
    ).fetchone()
    assert row == (True,), "the next check counts from the claim, not from a time the worker chose"


def test_admins_may_still_choose_the_time(conn: Conn, admin_runlog: RunLog) -> None:
    admin_runlog.set_schedule(VICTIM, "xledger", "0 6 * * *")
    conn.execute("UPDATE runlog.integration_health SET next_check_at = now() + interval '1 day'")
    assert admin_runlog.tick(NEXT_YEAR) == 1
    claimed = admin_runlog.claim_health_checks("w", ["xledger"], at=NEXT_YEAR)
    assert [(org, kind) for org, kind, _ in claimed] == [(VICTIM, "xledger")]
