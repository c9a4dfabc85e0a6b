"""A tenant's open transaction neither queues everyone behind a migration nor hangs it.

The migrator is the schema owner (the test database's superuser here): only
it may alter runlog's tables.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyrunlog import migration_retry
from pyrunlog.errors import MigrationError
from pyrunlog.migrate import migrate, sql_dir
from tests.helpers import Conn, connect_as
from tests.security.conftest import HOME

ALTER = """-- 9999_probe: a test migration that alters the run log.
ALTER TABLE runlog.sync_run_log ADD COLUMN IF NOT EXISTS probe integer;
INSERT INTO runlog.schema_migrations (version, name) VALUES (9999, 'probe')
ON CONFLICT (version) DO NOTHING;
"""


def altering_sql(tmp_path: Path) -> Path:
    """The package's SQL plus a migration that needs ACCESS EXCLUSIVE on sync_run_log."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / "migrations" / "9999_probe.sql").write_text(ALTER)
    return copy


def hold_the_run_log(conn: Conn) -> None:
    """A reader's transaction left open after reading its runs."""
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM runlog.sync_run_log")


def has_probe(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_attribute"
        " WHERE attrelid = 'runlog.sync_run_log'::regclass AND attname = 'probe'"
    ).fetchone()
    return row == (1,)


def test_a_held_transaction_fails_the_migration_clearly_and_blocks_nobody_else(
    dsn: str,
    conn: Conn,
    tmp_path: Path,
    login_role: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(migration_retry, "ATTEMPTS", 3)
    monkeypatch.setattr(migration_retry, "PAUSE_SECONDS", 0.2)
    squatter = login_role("runlog_reader")
    sql = altering_sql(tmp_path)
    with (
        connect_as(dsn, squatter, HOME) as holder,
        connect_as(dsn, login_role("runlog_reader"), HOME) as bystander,
    ):
        hold_the_run_log(holder)
        outcome: list[BaseException | list[int]] = []

        def run() -> None:
            try:
                outcome.append(migrate(dsn, sql))
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        # Everyone else's queries wait at most one lock_timeout behind the ALTER.
        bystander.execute("SET statement_timeout = '5s'")
        reads = 0
        while thread.is_alive():
            bystander.execute("SELECT count(*) FROM runlog.sync_run_log")
            reads += 1
            time.sleep(0.2)
        thread.join()
    assert reads >= 5, "the bystander read while migrate retried"
    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, MigrationError), error
    assert "9999_probe.sql" in str(error)
    assert "pg_blocking_pids" in str(error)
    assert f"user {squatter}" in str(error), str(error)
    assert not has_probe(conn), "nothing of the migration was applied"


def test_the_migration_goes_on_once_the_transaction_ends(
    dsn: str,
    conn: Conn,
    tmp_path: Path,
    login_role: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="pyrunlog.migrate")
    squatter = login_role("runlog_reader")
    sql = altering_sql(tmp_path)
    done: list[list[int]] = []
    with connect_as(dsn, squatter, HOME) as holder:
        hold_the_run_log(holder)
        thread = threading.Thread(target=lambda: done.append(migrate(dsn, sql)))
        thread.start()
        deadline = time.monotonic() + 20
        while f"user {squatter}" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"user {squatter}" in caplog.text, caplog.text
        assert "9999_probe.sql: waited 2s for a lock (attempt 1 of 5)" in caplog.text
        holder.execute("ROLLBACK")
    thread.join(timeout=60)
    assert done == [[9999]]
    assert has_probe(conn)
