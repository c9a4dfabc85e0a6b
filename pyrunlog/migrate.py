"""Deploy the SQL: numbered migrations once each, then the repeatable files that changed.

The layout (docs/migrations.md): ``sql/migrations/NNNN_name.sql`` change
tables and are applied once, in order; ``sql/functions/<name>.sql`` and
``sql/views/<name>.sql`` hold the current definition of one function or view
each and are re-applied whenever their checksum changes; ``sql/grants.sql``,
the grant table, is applied last whenever any repeatable file was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from pyrunlog.errors import MigrationError
from pyrunlog.migration_lock import MigrationLock
from pyrunlog.migration_retry import run_with_lock_retries

FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
REPEATABLE_NAME = re.compile(r"^[a-z0-9_]+\.sql$")
# Repeatable folders in the order they are applied: views use functions.
REPEATABLE_FOLDERS = ("functions", "views")
GRANTS = "grants.sql"


@dataclass(frozen=True)
class SqlFile:
    """One SQL file and its checksum."""

    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Migration(SqlFile):
    """One file of sql/migrations, applied once."""

    version: int
    name: str


@dataclass(frozen=True)
class Repeatable(SqlFile):
    """One file of sql/functions, sql/views or sql/grants.sql, applied when it changes."""

    key: str  # the path below sql/, as the ledger records it


def sql_dir() -> Path:
    """Where the SQL files are: inside the wheel, or in a source checkout."""
    packaged = Path(str(resources.files("pyrunlog"))) / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "sql"


def migrations_dir(root: Path | None = None) -> Path:
    """The folder of numbered migrations."""
    return (root or sql_dir()) / "migrations"


def migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files in version order; raises on a malformed or repeated name."""
    directory = directory or migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} appears twice")
        found[version] = Migration(path, version, match.group(2))
    if not found:
        raise MigrationError(f"no migration files in {directory}")
    return [found[v] for v in sorted(found)]


def repeatables(root: Path | None = None) -> list[Repeatable]:
    """The repeatable files in the order they are applied, sql/grants.sql last."""
    root = root or sql_dir()
    found: list[Repeatable] = []
    for folder in REPEATABLE_FOLDERS:
        for path in sorted((root / folder).glob("*.sql")):
            if REPEATABLE_NAME.match(path.name) is None:
                raise MigrationError(f"{folder}/{path.name}: repeatable files are named name.sql")
            found.append(Repeatable(path, f"{folder}/{path.name}"))
    grants = root / GRANTS
    if not grants.is_file():
        raise MigrationError(f"no {GRANTS} in {root}")
    found.append(Repeatable(grants, GRANTS))
    return found


def latest_version() -> int:
    """The schema version this package brings."""
    return migrations()[-1].version


def migrate(target: str | psycopg.Connection[Any], root: Path | None = None) -> list[int]:
    """Apply every migration not yet applied and every repeatable file that changed.

    Returns the migration versions applied now. Refuses (MigrationError) when
    an applied migration was edited or the database has a migration this
    package does not know. Safe to run concurrently.
    """
    root = root or sql_dir()
    files = migrations(migrations_dir(root))
    scripts = repeatables(root)
    if isinstance(target, str):
        with psycopg.connect(target, autocommit=True) as conn:
            return _migrate(conn, files, scripts)
    return _migrate(target, files, scripts)


def pending_repeatables(conn: psycopg.Connection[Any], root: Path | None = None) -> list[str]:
    """The repeatable files whose checksum differs from the one the database applied."""
    applied = _applied_repeatables(conn)
    return [r.key for r in repeatables(root) if applied.get(r.key) != r.checksum]


def _migrate(
    conn: psycopg.Connection[Any], files: list[Migration], scripts: list[Repeatable]
) -> list[int]:
    conn.autocommit = True
    with MigrationLock(conn, _dsn_of(conn)) as lock:
        applied = _applied(conn)
        _check(applied, files)
        for migration in files:
            if migration.version in applied and applied[migration.version] is None:
                _record(conn, migration)  # applied by psql: adopt it
        pending = [m for m in files if m.version not in applied]
        if not pending:
            _apply_repeatables(conn, scripts)
            return []
        # The migrations and the function files they go with commit together:
        # a pg_cron job running meanwhile sees the old schema with the old
        # functions or the new schema with the new ones, never a dropped
        # column under a function that still reads it.
        run_with_lock_retries(
            conn,
            _dsn_of(conn),
            ", ".join(m.path.name for m in pending),  # and the function files, views, grants
            _upgrader(conn, pending, scripts),
        )
        lock.upgrade()
        return [m.version for m in pending]


def _upgrader(
    conn: psycopg.Connection[Any], pending: list[Migration], scripts: list[Repeatable]
) -> Callable[[], None]:
    """Apply and record the pending migrations, then the changed repeatables: one transaction."""

    def apply() -> None:
        for migration in pending:
            conn.execute(migration.sql.encode())
            _record(conn, migration)
        _apply_scripts(conn, _changed_repeatables(conn, scripts))

    return apply


def _dsn_of(conn: psycopg.Connection[Any]) -> str:
    """A conninfo string for a second connection like this one."""
    password = conn.info.password
    return make_conninfo(conn.info.dsn, password=password) if password else conn.info.dsn


def _apply_repeatables(conn: psycopg.Connection[Any], scripts: list[Repeatable]) -> None:
    """Re-apply the changed repeatable files, and then the grants, in one transaction."""
    changed = _changed_repeatables(conn, scripts)
    if changed:
        run_with_lock_retries(
            conn,
            _dsn_of(conn),
            "the functions, views and grants",
            lambda: _apply_scripts(conn, changed),
        )


def _changed_repeatables(
    conn: psycopg.Connection[Any], scripts: list[Repeatable]
) -> list[Repeatable]:
    """The repeatable files whose checksum changed, and then the grants if any did."""
    applied = _applied_repeatables(conn)
    changed = [s for s in scripts if applied.get(s.key) != s.checksum]
    grants = scripts[-1]
    if changed and grants not in changed:
        changed.append(grants)  # a new or replaced function needs its grants again
    return changed


def _apply_scripts(conn: psycopg.Connection[Any], changed: list[Repeatable]) -> None:
    """Apply these repeatable files and record their checksums (in the caller's transaction)."""
    # Function bodies may name functions applied later in the same batch.
    conn.execute("SET LOCAL check_function_bodies = off")
    for script in changed:
        try:
            conn.execute(script.sql.encode())
        except psycopg.errors.LockNotAvailable:
            raise  # retried by run_with_lock_retries
        except psycopg.Error as exc:
            raise MigrationError(f"{script.key}: {exc}") from exc
        conn.execute(
            "INSERT INTO runlog.schema_repeatables (path, checksum) VALUES (%s, %s)"
            " ON CONFLICT (path) DO UPDATE"
            " SET checksum = excluded.checksum, applied_at = pg_catalog.now()",
            [script.key, script.checksum],
        )


def _applied(conn: psycopg.Connection[Any]) -> dict[int, str | None]:
    exists = conn.execute("SELECT to_regclass('runlog.schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("SELECT version, checksum FROM runlog.schema_migrations").fetchall()
    return dict(rows)


def _applied_repeatables(conn: psycopg.Connection[Any]) -> dict[str, str]:
    exists = conn.execute("SELECT to_regclass('runlog.schema_repeatables') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("SELECT path, checksum FROM runlog.schema_repeatables").fetchall()
    return dict(rows)


def _check(applied: dict[int, str | None], files: list[Migration]) -> None:
    known = {m.version: m for m in files}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise MigrationError(
            f"the database has migration {unknown[-1]:04d}, newer than this package "
            f"(latest {files[-1].version:04d}): upgrade pyrunlog before migrating"
        )
    for version, checksum in applied.items():
        migration = known[version]
        if checksum is not None and checksum != migration.checksum:
            raise MigrationError(
                f"{migration.path.name} was edited after it was applied "
                f"(checksum {checksum[:12]}... in the database, {migration.checksum[:12]}... "
                "on disk): restore the file and put the change in a new migration"
            )


def _record(conn: psycopg.Connection[Any], migration: Migration) -> None:
    conn.execute(
        "INSERT INTO runlog.schema_migrations (version, name, checksum)"
        " VALUES (%s, %s, %s)"
        " ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum",
        [migration.version, migration.name, migration.checksum],
    )
