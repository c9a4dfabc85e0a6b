"""The SQL reference (docs/sql-reference.md), generated from the deployed schema.

Every table, view and public function of schema runlog, with its COMMENT ON
text, so that the reference is exactly what the database says. A test renders
it from a freshly migrated database and compares it with the committed file.
"""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

HEADER = """# SQL reference

Every table, view and function of schema `runlog`, generated from the
database's own `COMMENT ON` texts by `pyrunlog reference > docs/sql-reference.md`.
The test suite fails when this file and a freshly migrated schema disagree.
Functions whose names start with `_` are private helpers and are not listed.
"""


def _relations(conn: Conn, kinds: str) -> list[tuple[str, str]]:
    return [
        (row[0], row[1] or "")
        for row in conn.execute(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'runlog' AND c.relkind = ANY(%s) ORDER BY c.relname",
            [list(kinds)],
        )
    ]


def _columns(conn: Conn, relation: str) -> list[tuple[str, str, str]]:
    return [
        (row[0], row[1], row[2] or "")
        for row in conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
            " col_description(a.attrelid, a.attnum)"
            " FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0"
            " AND NOT a.attisdropped ORDER BY a.attnum",
            [f"runlog.{relation}"],
        )
    ]


def _functions(conn: Conn) -> list[tuple[str, str, str, str, str]]:
    return [
        (row[0], row[1], row[2], row[3] or "", row[4] or "")
        for row in conn.execute(
            "SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),"
            " obj_description(p.oid, 'pg_proc'),"
            " (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)"
            "  FROM aclexplode(p.proacl) a JOIN pg_roles r ON r.oid = a.grantee"
            "  WHERE a.privilege_type = 'EXECUTE' AND r.rolname LIKE 'runlog%%')"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'runlog' AND p.proname NOT LIKE '\\_%%' AND p.prokind = 'f'"
            " ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)"
        )
    ]


def _relation_section(conn: Conn, title: str, kinds: str) -> list[str]:
    lines = [f"## {title}", ""]
    for name, comment in _relations(conn, kinds):
        lines += [
            f"### runlog.{name}",
            "",
            comment,
            "",
            "| column | type | notes |",
            "|---|---|---|",
        ]
        for column, type_name, note in _columns(conn, name):
            lines.append(f"| {column} | {type_name} | {note.replace('|', '/')} |")
        lines.append("")
    return lines


def render(conn: Conn) -> str:
    """The reference as Markdown."""
    lines = [
        HEADER,
        *_relation_section(conn, "Tables", "r"),
        *_relation_section(conn, "Views", "v"),
    ]
    lines += ["## Functions", ""]
    for name, arguments, result, comment, roles in _functions(conn):
        lines += [
            f"### runlog.{name}",
            "",
            "```sql",
            f"runlog.{name}({arguments})",
            f"  RETURNS {result}",
            "```",
            "",
            comment,
            "",
            f"Callable by: {roles or 'the owner only'}.",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
