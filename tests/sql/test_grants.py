"""The grant table (sql/grants.sql) and the catalog agree exactly."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers import Conn

ROLES = ("runlog_reader", "runlog_worker", "runlog_admin")


def test_catalog_grants_match_the_grant_table_exactly(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT p.oid::regprocedure::text, r.role,"
        " pg_catalog.has_function_privilege(r.role, p.oid, 'EXECUTE'),"
        " CASE r.role WHEN 'runlog_reader' THEN g.runlog_reader"
        "  WHEN 'runlog_worker' THEN g.runlog_worker ELSE g.runlog_admin END"
        " FROM pg_proc p"
        " LEFT JOIN runlog.function_grants g ON to_regprocedure(g.signature) = p.oid"
        " CROSS JOIN unnest(%s::text[]) AS r(role)"
        " WHERE p.pronamespace = 'runlog'::regnamespace",
        [list(ROLES)],
    ).fetchall()
    unlisted = sorted({fn for fn, _, _, listed in rows if listed is None})
    assert unlisted == [], f"functions without a row in sql/grants.sql: {unlisted}"
    wrong = [(fn, role, has) for fn, role, has, listed in rows if has != listed]
    assert wrong == [], f"catalog grants that differ from the grant table: {wrong}"
    stale = conn.execute(
        "SELECT signature FROM runlog.function_grants WHERE to_regprocedure(signature) IS NULL"
    ).fetchall()
    assert stale == [], f"grant table rows naming no function: {stale}"


def test_a_function_without_a_row_fails_the_grants(conn: Conn) -> None:
    conn.execute("CREATE FUNCTION runlog.stray() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match=r"runlog\.stray\(\)"):
        conn.execute("SELECT runlog._apply_function_grants()")


def test_a_row_without_a_function_fails_the_grants(conn: Conn) -> None:
    conn.execute("INSERT INTO runlog.function_grants (signature) VALUES ('runlog.gone(int)')")
    with pytest.raises(psycopg.errors.UndefinedFunction, match=r"runlog\.gone\(int\)"):
        conn.execute("SELECT runlog._apply_function_grants()")


def test_invoker_functions_only_call_what_their_callers_may_execute(conn: Conn) -> None:
    """A SECURITY INVOKER function runs with the caller's rights: its helpers need the grant too."""
    rows = conn.execute(
        "SELECT f.proname, r.role, h.proname"
        " FROM pg_proc f CROSS JOIN unnest(%s::text[]) AS r(role)"
        " JOIN pg_proc h ON h.pronamespace = f.pronamespace AND h.oid <> f.oid"
        "  AND f.prosrc ~ ('runlog\\.' || h.proname || '\\(')"
        " WHERE f.pronamespace = 'runlog'::regnamespace AND NOT f.prosecdef"
        "  AND has_function_privilege(r.role, f.oid, 'EXECUTE')"
        "  AND NOT has_function_privilege(r.role, h.oid, 'EXECUTE')"
        " ORDER BY 1, 2, 3",
        [list(ROLES)],
    ).fetchall()
    assert rows == [], f"(function, role, helper it may not execute): {rows}"


@pytest.mark.parametrize("role", ["reader", "worker", "admin"])
def test_every_role_can_preview_a_schedule(
    role: str, reader_dsn: str, worker_dsn: str, admin_dsn: str
) -> None:
    dsn = {"reader": reader_dsn, "worker": worker_dsn, "admin": admin_dsn}[role]
    with psycopg.connect(dsn, autocommit=True) as login:
        slots = login.execute(
            "SELECT runlog.next_slots('0 6 * * mon-fri', 'Europe/Oslo', now(), 3)"
        ).fetchall()
        login.execute("SELECT runlog.parse_cron('*/5 * * * *')")
    assert len(slots) == 3
