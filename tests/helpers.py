"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

Conn = psycopg.Connection[Any]

RUN_COLUMNS = (
    "id, org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key,"
    " queued_at, started_at, ended_at, heartbeat_at, records_processed, records_failed,"
    " error_message, worker_id, duration_seconds, drift_seconds, failure_type, attempt,"
    " retry_of, counted_attempt, run_after, run_before, retry_decision"
)


def call(conn: Conn, sql: str, *params: Any) -> dict[str, Any]:
    """Run a statement returning one run row; the row as a dict."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    assert row is not None, f"{sql} returned no row"
    return row


def all_runs(conn: Conn) -> list[dict[str, Any]]:
    """Every row of the run log, by id (as the superuser sees it)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {RUN_COLUMNS} FROM runlog.sync_run_log ORDER BY id")
        return cur.fetchall()


def sqlstate_of(conn: Conn, sql: str, *params: Any) -> str | None:
    """The SQLSTATE a statement fails with (None if it succeeds)."""
    try:
        conn.execute(sql, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def connect_as(dsn: str, role: str, org: uuid.UUID | None) -> Conn:
    """Connect as a login role, with org's claim set for the session (if given)."""
    conn = psycopg.connect(make_conninfo(dsn, user=role), autocommit=True)
    if org is not None:
        claims = json.dumps({"org_id": str(org)})
        conn.execute("SELECT set_config('request.jwt.claims', %s, false)", [claims])
    return conn
