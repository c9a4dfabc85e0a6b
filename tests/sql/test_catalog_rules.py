"""Rules every runlog function must keep, read from the catalog so they cannot rot."""

from __future__ import annotations

from tests.helpers import Conn


def test_every_security_definer_function_pins_search_path(conn: Conn) -> None:
    unpinned = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog' AND p.prosecdef"
        " AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')"
    ).fetchall()
    assert unpinned == [], f"SECURITY DEFINER without SET search_path: {unpinned}"
    definers = conn.execute(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog' AND p.prosecdef"
    ).fetchone()
    assert definers is not None
    assert definers[0] >= 6, "the write API is SECURITY DEFINER"


def test_public_cannot_execute_any_runlog_function(conn: Conn) -> None:
    executable = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog'"
        " AND EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a"
        "             WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')"
    ).fetchall()
    assert executable == [], f"PUBLIC may execute: {executable}"


def test_plpgsql_check_finds_no_errors_in_any_runlog_function(conn: Conn) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    problems = conn.execute(
        "SELECT p.oid::regprocedure::text, c.level, c.message"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_language l ON l.oid = p.prolang"
        " LEFT JOIN pg_trigger t ON t.tgfoid = p.oid,"  # trigger functions need their table
        " LATERAL plpgsql_check_function_tb(p.oid, coalesce(t.tgrelid, 0)) c"
        " WHERE n.nspname = 'runlog' AND l.lanname = 'plpgsql'"
        " AND c.level = 'error'"
    ).fetchall()
    assert problems == [], f"plpgsql_check errors: {problems}"
    checked = conn.execute(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_language l ON l.oid = p.prolang"
        " WHERE n.nspname = 'runlog' AND l.lanname = 'plpgsql'"
    ).fetchone()
    assert checked is not None
    assert checked[0] >= 10


def test_every_runlog_object_has_a_comment(conn: Conn) -> None:
    missing = conn.execute(
        "SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog' AND obj_description(p.oid, 'pg_proc') IS NULL"
        " UNION ALL"
        " SELECT c.relkind::text || ' ' || c.oid::regclass::text FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'runlog' AND c.relkind IN ('r', 'v', 'm', 'i')"
        " AND obj_description(c.oid, 'pg_class') IS NULL"
        " AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = c.oid)"
    ).fetchall()
    assert missing == [], f"objects without COMMENT ON: {missing}"


INTEGRATION_NAMES = [
    # (name, valid): lower snake case, 1 to 64 characters, starting with a letter
    ("a", True),
    ("dynamics_365", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("", False),
    ("1xledger", False),
    ("_xledger", False),
    ("Xledger", False),
    ("x-ledger", False),
    ("xledger\n", False),
    ("xlédger", False),
]


def test_every_integration_type_check_holds_the_documented_rule(conn: Conn) -> None:
    """Each table's CHECK, and the functions' own check, accept the same names."""
    checks = conn.execute(
        "SELECT k.conrelid::regclass::text, pg_get_expr(k.conbin, k.conrelid)"
        " FROM pg_constraint k JOIN pg_attribute a"
        "   ON a.attrelid = k.conrelid AND k.conkey = ARRAY[a.attnum]"
        " WHERE k.connamespace = 'runlog'::regnamespace AND k.contype = 'c'"
        " AND a.attname = 'integration_type'"
    ).fetchall()
    assert len(checks) >= 6, checks
    for name, valid in INTEGRATION_NAMES:
        for table, expression in checks:
            got = conn.execute(
                f"SELECT {expression} FROM (VALUES (%s::text)) AS t (integration_type)", [name]
            ).fetchone()
            assert got == (valid,), (table, name)
        problem = conn.execute(
            "SELECT (runlog._run_args_problem(gen_random_uuid(), %s, 'manual', NULL, NULL))"
            ".message",
            [name],
        ).fetchone()
        assert (problem == (None,)) == valid, (name, problem)
