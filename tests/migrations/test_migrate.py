"""pyrunlog.migrate and the migration files themselves."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from pyrunlog.errors import MigrationError
from pyrunlog.localpg import find_bindir
from pyrunlog.migrate import latest_version, migrate, migrations, repeatables, sql_dir

SNAPSHOT = """
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
    || coalesce(obj_description(p.oid, 'pg_proc'), '') || coalesce(p.proacl::text, '')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'runlog'
UNION ALL
SELECT 'relation ' || c.oid::regclass::text, c.relkind::text || c.relrowsecurity::text
    || coalesce(c.relacl::text, '') || coalesce(obj_description(c.oid, 'pg_class'), '')
    || coalesce(pg_get_indexdef(c.oid), '') || coalesce(pg_get_viewdef(c.oid), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'runlog'
UNION ALL
SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname,
    format_type(a.atttypid, a.atttypmod) || a.attnotnull::text
    || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    || coalesce(col_description(a.attrelid, a.attnum), '')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = 'runlog' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || k.conrelid::regclass::text || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'runlog'
UNION ALL
SELECT 'policy ' || p.tablename || '.' || p.policyname,
    p.cmd || p.roles::text || coalesce(p.qual, '') || coalesce(p.with_check, '')
FROM pg_policies p WHERE p.schemaname = 'runlog'
UNION ALL
SELECT 'role ' || r.rolname, r.rolcanlogin::text
    || coalesce(shobj_description(r.oid, 'pg_authid'), '')
    || coalesce((SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m
                 JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '')
FROM pg_roles r WHERE r.rolname LIKE 'runlog\\_%'
UNION ALL
SELECT 'schema runlog', coalesce(nspacl::text, '')
    || coalesce(obj_description(oid, 'pg_namespace'), '')
FROM pg_namespace WHERE nspname = 'runlog'
UNION ALL
SELECT 'ledger ' || version, name FROM runlog.schema_migrations
ORDER BY 1
"""


def catalog(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return [(r[0], r[1]) for r in conn.execute(SNAPSHOT)]


def psql(dsn: str, path: Path) -> None:
    subprocess.run(
        [str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f",
         str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def test_each_sql_file_run_twice_by_psql_changes_nothing(empty_dsn: str) -> None:
    files = [m.path for m in migrations()] + [r.path for r in repeatables()]
    for path in files:
        psql(empty_dsn, path)
        first = catalog(empty_dsn)
        psql(empty_dsn, path)
        assert catalog(empty_dsn) == first, f"{path.name} is not idempotent"
    assert len(first) > 50, "the snapshot must cover the schema"


def test_migrate_applies_every_file_once_and_records_checksums(empty_dsn: str) -> None:
    assert migrate(empty_dsn) == [m.version for m in migrations()]
    assert migrate(empty_dsn) == [], "a second migrate applies nothing"
    with psycopg.connect(empty_dsn) as conn:
        rows = conn.execute("SELECT version, checksum FROM runlog.schema_migrations").fetchall()
        scripts = dict(conn.execute("SELECT path, checksum FROM runlog.schema_repeatables"))
    assert rows == [(m.version, m.checksum) for m in migrations()]
    assert scripts == {r.key: r.checksum for r in repeatables()}


def test_psql_deployment_is_adopted_by_migrate(empty_dsn: str) -> None:
    for path in [m.path for m in migrations()] + [r.path for r in repeatables()]:
        psql(empty_dsn, path)
    by_psql = catalog(empty_dsn)
    assert migrate(empty_dsn) == []
    with psycopg.connect(empty_dsn) as conn:
        checksums = [r[0] for r in conn.execute("SELECT checksum FROM runlog.schema_migrations")]
    assert None not in checksums
    assert catalog(empty_dsn) == by_psql, "migrate after psql changes no object"


def test_a_changed_function_file_is_applied_again(empty_dsn: str, tmp_path: Path) -> None:
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    migrate(empty_dsn, copy)
    version_file = copy / "functions" / "version.sql"
    text = version_file.read_text()
    version_file.write_text(text.replace("The deployed schema version", "Edited: the version"))
    assert migrate(empty_dsn, copy) == [], "no numbered migration is pending"
    with psycopg.connect(empty_dsn) as conn:
        row = conn.execute("SELECT obj_description('runlog.version()'::regprocedure)").fetchone()
    assert row is not None
    assert str(row[0]).startswith("Edited: the version"), "the edited file was not re-applied"


def test_20_concurrent_migrators_all_succeed(empty_dsn: str) -> None:
    results: list[list[int] | BaseException] = []

    def run() -> None:
        try:
            results.append(migrate(empty_dsn))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], f"migrators failed: {errors}"
    applied = [v for r in results if isinstance(r, list) for v in r]
    assert sorted(applied) == [m.version for m in migrations()], "each file applied once"


def test_two_migrate_processes_started_at_once_both_succeed(empty_dsn: str) -> None:
    command = [sys.executable, "-m", "pyrunlog", "migrate", "--dsn", empty_dsn]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    with psycopg.connect(empty_dsn) as conn:
        count = conn.execute("SELECT count(*) FROM runlog.schema_migrations").fetchone()
    assert count == (len(migrations()),)


def test_an_edited_applied_file_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    migrate(empty_dsn, copy)
    first = sorted((copy / "migrations").glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- an edit\n")
    with pytest.raises(MigrationError, match=f"{first.name} was edited after it was applied"):
        migrate(empty_dsn, copy)


def test_a_schema_newer_than_the_package_is_refused(empty_dsn: str) -> None:
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute("INSERT INTO runlog.schema_migrations (version, name) VALUES (9999, 'future')")
    with pytest.raises(MigrationError, match="newer than this package"):
        migrate(empty_dsn)


def test_a_badly_named_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"named NNNN_name\.sql"):
        migrations(tmp_path)


def test_migration_files_say_what_they_add() -> None:
    for migration in migrations():
        header = migration.sql.splitlines()[0]
        assert header.startswith(f"-- {migration.path.stem}:"), migration.path.name
    assert latest_version() == migrations()[-1].version


@pytest.mark.slow
def test_the_built_wheel_deploys_without_a_source_checkout(empty_dsn: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(root)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    wheel = next((tmp_path / "dist").glob("pyrunlog-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", f"{wheel}[binary]"],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    result = subprocess.run(
        [str(venv / "bin" / "pyrunlog"), "migrate", "--dsn", empty_dsn],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "applied migrations 0001" in result.stdout
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT runlog.version()").fetchone() == (f"{latest_version():04d}",)
