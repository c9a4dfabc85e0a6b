"""Attacks: tenants probing each other, workers reaching for admin, shadowed names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from pyrunlog import LockTimeout, RunLog
from tests.helpers import Conn, all_runs, connect_as, sqlstate_of

ORG_A = uuid.UUID("00000000-0000-4000-8000-00000000aaaa")
ORG_B = uuid.UUID("00000000-0000-4000-8000-00000000bbbb")

READER_FUNCTIONS = {
    "current_org_id", "version", "last_runs", "run_history", "request_sync", "next_slots",
    "parse_cron", "slot_key", "health_overview", "health_mode_of", "_resolve_org", "_invalid",
    "retry_period",
}  # fmt: skip
OPERATOR_TABLES = {"runlog.org_logins", "runlog.alert_log", "runlog.manual_request_gate"}
ADMIN_ONLY = {
    "set_schedule", "enable_schedule", "disable_schedule", "delete_schedule", "tick", "prewarm",
    "reap_stale", "prune", "install_cron_jobs", "uninstall_cron_jobs", "set_health_mode",
    "resume_schedule",
}  # fmt: skip


@pytest.fixture
def tenants(runlog: RunLog) -> None:
    """Both organisations have runs, schedules, pre-warms and health."""
    for org in (ORG_A, ORG_B):
        runlog.set_schedule(org, "xledger", "0 6 * * *")
        run = runlog.start_run(org, "xledger", "scheduler", datetime.now(timezone.utc), f"{org}-p")
        runlog.finish_run(run.id, "failed", 1, 1, f"secret of {org}")
        runlog.record_prewarm(org, "xledger", datetime.now(timezone.utc), True, 5)
        runlog.request_sync(org, "visma", idempotency_key="shared-key")


@pytest.fixture
def reader(dsn: str, login_role: Callable[[str], str], tenants: None) -> Iterator[Conn]:
    with connect_as(dsn, login_role("runlog_reader"), ORG_A) as conn:
        yield conn


def executable(conn: Conn, role: str) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog' AND has_function_privilege(%s, p.oid, 'EXECUTE')",
        [role],
    )
    return {row[0] for row in rows}


def test_a_reader_sees_no_other_organisation_in_any_table_or_view(reader: Conn, conn: Conn) -> None:
    relations = [
        row[0]
        for row in conn.execute(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.columns"
            " WHERE table_schema = 'runlog' AND column_name = 'org_id'"
        )
    ]
    assert len(relations) >= 7, relations
    hidden = set()
    for relation in relations:
        try:
            seen = {row[0] for row in reader.execute(f"SELECT DISTINCT org_id FROM {relation}")}
        except psycopg.errors.InsufficientPrivilege:
            hidden.add(relation)
            continue
        assert seen <= {ORG_A, None}, f"{relation} shows {seen}"
    assert hidden == OPERATOR_TABLES, "only these tables are closed to readers"


def test_a_reader_sees_the_slots_of_its_own_schedules_only(reader: Conn, conn: Conn) -> None:
    """runlog.schedule_slot has no org_id: its policy goes through sync_schedule's."""
    own = conn.execute(
        "SELECT n.schedule_id FROM runlog.schedule_slot n JOIN runlog.sync_schedule s"
        " ON s.id = n.schedule_id WHERE s.org_id = %s",
        [ORG_A],
    ).fetchall()
    assert len(own) == 1
    assert conn.execute("SELECT count(*) FROM runlog.schedule_slot").fetchone() == (2,)
    assert reader.execute("SELECT schedule_id FROM runlog.schedule_slot").fetchall() == own


def test_a_reader_sees_no_other_organisation_through_any_function(reader: Conn) -> None:
    for sql in (
        "SELECT org_id FROM runlog.last_runs(%s)",
        "SELECT org_id FROM runlog.run_history(%s)",
        "SELECT org_id FROM runlog.health_overview(%s) WHERE state <> 'unknown'",
    ):
        assert reader.execute(sql, [ORG_B]).fetchall() == [], sql


def test_a_reader_may_execute_exactly_the_reader_functions(
    conn: Conn, login_role: Callable[[str], str]
) -> None:
    assert executable(conn, login_role("runlog_reader")) == READER_FUNCTIONS


def test_a_reader_cannot_write_any_table(reader: Conn, conn: Conn) -> None:
    tables = [r[0] for r in conn.execute(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'runlog'"
    )]  # fmt: skip
    for table in tables:
        assert sqlstate_of(reader, f"DELETE FROM {table}") == "42501", table
        assert sqlstate_of(reader, f"UPDATE {table} SET org_id = org_id") in ("42501", "42703"), (
            table
        )


def test_a_reader_cannot_trigger_or_cancel_another_organisations_runs(
    reader: Conn, conn: Conn
) -> None:
    before = all_runs(conn)
    assert sqlstate_of(reader, "SELECT runlog.request_sync(%s, 'visma')", ORG_B) == "42501"
    victim = next(r for r in before if r["org_id"] == ORG_B)
    assert sqlstate_of(reader, "SELECT runlog.cancel_run(%s)", victim["id"]) == "42501"
    assert all_runs(conn) == before


def test_a_reader_cannot_infer_another_organisations_keys(reader: Conn, conn: Conn) -> None:
    """Readers choose no key (test_slot_keys.py); the refusal mentions nothing of org B's run."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        reader.execute(
            "SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL, %s)", [ORG_A, f"{ORG_B}-p"]
        )
    assert str(ORG_B) not in str(refused.value)
    assert "keys are for operators" in str(refused.value)


def test_a_worker_cannot_call_admin_functions(
    dsn: str, conn: Conn, login_role: Callable[[str], str]
) -> None:
    role = login_role("runlog_worker")
    assert executable(conn, role) & ADMIN_ONLY == set()
    with connect_as(dsn, role, None) as worker:
        assert sqlstate_of(worker, "SELECT runlog.tick()") == "42501"
        assert (
            sqlstate_of(worker, "SELECT runlog.set_schedule(%s, 'x', '* * * * *')", ORG_A)
            == "42501"
        )
        assert sqlstate_of(worker, "UPDATE runlog.settings SET retention = '1 day'") == "42501"


def test_objects_planted_in_public_change_nothing(conn: Conn) -> None:
    conn.execute("CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql"
                 " AS $$ SELECT timestamptz '1970-01-01' $$")  # fmt: skip
    conn.execute("CREATE FUNCTION public.left(text, integer) RETURNS text LANGUAGE sql"
                 " AS $$ SELECT 'pwned'::text $$")  # fmt: skip
    conn.execute("CREATE TABLE public.sync_run_log (LIKE runlog.sync_run_log)")
    conn.execute("CREATE TABLE public.settings (drift_threshold interval)")
    conn.execute("SET search_path = public, pg_catalog")
    run = conn.execute("SELECT * FROM runlog.start_run(%s, 'xledger')", [ORG_A]).fetchone()
    assert run is not None
    conn.execute("SELECT runlog.finish_run(%s, 'failed', 0, 0, %s)", [run[0], "x" * 3000])
    conn.execute("SET search_path = pg_catalog")
    (stored,) = all_runs(conn)
    assert stored["started_at"] > datetime.now(timezone.utc) - timedelta(minutes=5)
    assert stored["error_message"] == "x" * 2000, "runlog used pg_catalog.left, not public.left"
    assert conn.execute("SELECT count(*) FROM public.sync_run_log").fetchone() == (0,)


def test_lock_timeouts_map_to_lock_timeout(dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG_A, "xledger")
    with psycopg.connect(dsn) as holder:
        holder.execute("SELECT 1 FROM runlog.sync_run_log WHERE id = %s FOR UPDATE", [run.id])
        with pytest.raises(LockTimeout):
            runlog.heartbeat(run.id)
        holder.rollback()
