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
