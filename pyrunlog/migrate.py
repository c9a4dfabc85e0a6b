"""Apply sql/migrations in order, once each, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from pyrunlog.errors import MigrationError

# pg_advisory_lock key: the bytes of "runlog" read as an integer.
MIGRATION_LOCK_KEY = int.from_bytes(b"runlog", "big")
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One file of sql/migrations."""

    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations_dir() -> Path:
    """Where the migration files are: inside the wheel, or in a source checkout."""
    packaged = Path(str(resources.files("pyrunlog"))) / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "sql" / "migrations"


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
        found[version] = Migration(version, match.group(2), path)
    if not found:
        raise MigrationError(f"no migration files in {directory}")
    return [found[v] for v in sorted(found)]


def latest_version() -> int:
    """The schema version this package brings."""
    return migrations()[-1].version


def migrate(target: str | psycopg.Connection[Any], directory: Path | None = None) -> list[int]:
    """Apply every migration not yet applied; return the versions applied now.

    Refuses (MigrationError) when an applied file was edited or the database
    has a migration this package does not know. Safe to run concurrently.
    """
    files = migrations(directory)
    if isinstance(target, str):
        with psycopg.connect(target, autocommit=True) as conn:
            return _migrate(conn, files)
    return _migrate(target, files)


def _migrate(conn: psycopg.Connection[Any], files: list[Migration]) -> list[int]:
    conn.autocommit = True
    conn.execute("SELECT pg_catalog.pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
    try:
        applied = _applied(conn)
        _check(applied, files)
        done: list[int] = []
        for migration in files:
            if migration.version in applied:
                if applied[migration.version] is None:  # applied by psql: adopt it
                    _record(conn, migration)
                continue
            with conn.transaction():
                conn.execute(migration.sql.encode())
                _record(conn, migration)
            done.append(migration.version)
        return done
    finally:
        conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])


def _applied(conn: psycopg.Connection[Any]) -> dict[int, str | None]:
    exists = conn.execute("SELECT to_regclass('runlog.schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("SELECT version, checksum FROM runlog.schema_migrations").fetchall()
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
