"""The documentation cannot drift from the deployed SQL."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from pyrunlog.reference import render

ROOT = Path(__file__).resolve().parents[1]
PROSE = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_sql_reference_matches_a_freshly_migrated_schema(conn: psycopg.Connection) -> None:
    committed = (ROOT / "docs" / "sql-reference.md").read_text()
    assert committed == render(conn), (
        "docs/sql-reference.md is stale: regenerate it with "
        "`pyrunlog reference --dsn ... > docs/sql-reference.md`"
    )


def test_every_runlog_object_the_docs_name_exists(conn: psycopg.Connection) -> None:
    names = set(
        conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'runlog'"
            " UNION SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'runlog'"
            " UNION SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = 'runlog'"
        ).fetchall()
    )
    known = {row[0] for row in names}
    missing = {
        f"{path.name}: runlog.{name}"
        for path in PROSE
        for name in re.findall(r"\brunlog\.([a-z_][a-z0-9_]*)", path.read_text())
        if name not in known
    }
    assert missing == set(), f"the docs name objects that do not exist: {sorted(missing)}"


def test_local_links_in_the_docs_resolve() -> None:
    broken = [
        f"{path.name}: {target}"
        for path in PROSE
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text())
        if not (path.parent / target).exists()
    ]
    assert broken == [], f"broken links: {broken}"


def test_install_lines_install_what_exists() -> None:
    """pyrunlog is not on PyPI: every `pip install` of it names a checkout or the built wheel,
    except a line that says it is about the published package."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1)  # type: ignore[union-attr]
    wheel = f"dist/pyrunlog-{version}-py3-none-any.whl"
    wrong = [
        f"{path.name}: {line.strip()}"
        for path in PROSE
        for line in path.read_text().splitlines()
        if re.search(r"pip install\b[^`]*\bpyrunlog\b", line)
        and "published" not in line
        and "-e '." not in line
        and wheel not in line
    ]
    assert wrong == [], f"install lines that cannot work: {wrong}"
    assert any(wheel in path.read_text() for path in PROSE)
