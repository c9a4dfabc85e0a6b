"""Locks a tenant can take stop neither ticks nor migrations."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pyrunlog import RunLog
from pyrunlog.migrate import migrate, sql_dir
from pyrunlog.migration_lock import ADVISORY_KEY
from tests.helpers import Conn, connect_as
from tests.security.conftest import HOME, VICTIM

# Every advisory key pyrunlog ever used, in every form pg_advisory_lock takes.
USED_KEYS = [
    "SELECT pg_advisory_lock(hashtext('runlog.maintain'))",
    f"SELECT pg_advisory_lock({ADVISORY_KEY})",
    f"SELECT pg_advisory_lock({ADVISORY_KEY >> 32}, {ADVISORY_KEY & 0x7FFFFFFF})",
    "SELECT pg_advisory_lock(0)",
    "SELECT pg_advisory_lock(hashtext('runlog.migrate'))",
]


def hold_every_advisory_lock(conn: Conn) -> None:
    conn.execute("BEGIN")
    for sql in USED_KEYS:
        conn.execute(sql)
        conn.execute(sql.replace("pg_advisory_lock", "pg_advisory_xact_lock"))


def test_no_runlog_function_takes_an_advisory_lock(conn: Conn) -> None:
    """So that no key a reader may hold can stop one (pg_cron's jobs, the worker's tick)."""
    users = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'runlog' AND p.prosrc ILIKE '%pg\\_%advisory%'"
    ).fetchall()
    assert users == []


def test_a_reader_holding_advisory_locks_does_not_stop_ticks(
    dsn: str, worker_dsn: str, admin_runlog: RunLog, tenant: Conn
) -> None:
    admin_runlog.set_schedule(VICTIM, "xledger", "* * * * *")
    hold_every_advisory_lock(tenant)
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        worker.execute("SET statement_timeout = '10s'")
        rows = worker.execute("SELECT * FROM runlog.maintain('w1')").fetchall()
    assert len(rows) == 1, "the worker's tick did not run"
    assert admin_runlog.tick() >= 0


def test_one_maintain_at_a_time_still(worker_dsn: str, admin_runlog: RunLog) -> None:
    with psycopg.connect(worker_dsn) as first, psycopg.connect(worker_dsn) as second:
        assert len(first.execute("SELECT * FROM runlog.maintain('a')").fetchall()) == 1
        assert second.execute("SELECT * FROM runlog.maintain('b')").fetchall() == []


def changed_sql(tmp_path: Path) -> Path:
    """A copy of the SQL with one function file edited, so that migrate has work to do."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    version = copy / "functions" / "version.sql"
    version.write_text(version.read_text().replace("The deployed schema version", "Edited"))
    return copy


def test_a_reader_holding_advisory_locks_does_not_stop_migrations(
    dsn: str, tmp_path: Path, tenant: Conn
) -> None:
    hold_every_advisory_lock(tenant)
    tenant.execute("SELECT count(*) FROM runlog.schema_migrations")  # and a table lock it may take
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(migrate(dsn, changed_sql(tmp_path))))
    thread.start()
    thread.join(timeout=30)
    assert done == [[]], "migrate waited for a lock a reader holds"


def test_migrators_still_take_turns(dsn: str, tmp_path: Path) -> None:
    """The table lock serialises migrators as the advisory lock did."""
    sql = changed_sql(tmp_path)
    with psycopg.connect(dsn) as other:
        other.execute("LOCK TABLE runlog.migration_lock IN SHARE UPDATE EXCLUSIVE MODE")
        done: list[object] = []
        thread = threading.Thread(target=lambda: done.append(migrate(dsn, sql)))
        thread.start()
        thread.join(timeout=2)
        assert done == [], "a second migrator did not wait"
    thread.join(timeout=30)
    assert done == [[]]


def test_on_a_database_without_the_lock_table_the_waiting_migrator_says_who_holds_the_lock(
    empty_dsn: str, login_role: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    """Before migration 0006 the lock is an advisory lock: waiting for it is reported."""
    caplog.set_level(logging.WARNING, logger="pyrunlog.migrate")
    squatter = login_role("runlog_reader")
    with connect_as(empty_dsn, squatter, HOME) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])
        done: list[object] = []
        thread = threading.Thread(target=lambda: done.append(migrate(empty_dsn)))
        thread.start()
        started = time.monotonic()
        while squatter not in caplog.text and time.monotonic() - started < 10:
            time.sleep(0.1)
        assert f"user {squatter}" in caplog.text, caplog.text
        assert time.monotonic() - started < 10, "reported within seconds"
        assert done == []
    thread.join(timeout=120)
    assert len(done) == 1, "migrate went on once the lock was free"
    assert done[0], "and applied every migration"
