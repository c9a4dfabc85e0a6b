"""A database deployed by the previous release upgrades in place, rows intact."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

from pyrunlog.errors import MigrationError
from pyrunlog.migrate import migrate, migrations, sql_dir
from tests.migrations.test_migrate import catalog

# The migrations of release 0.1.0, the last one deployed, with the checksums
# that deployed databases recorded: they must never change.
RELEASED = {
    1: "0001_run_log.sql",
    2: "0002_scheduling.sql",
    3: "0003_health.sql",
}


def released_checksums() -> dict[int, str]:
    return {m.version: m.checksum for m in migrations() if m.version in RELEASED}


def deploy_previous_release(dsn: str) -> None:
    """What pyrunlog 0.1.0's migrate did: each released file once, with its checksum."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for migration in migrations():
            if migration.version not in RELEASED:
                continue
            assert migration.path.name == RELEASED[migration.version]
            with conn.transaction():
                conn.execute(migration.sql.encode())
                conn.execute(
                    "UPDATE runlog.schema_migrations SET checksum = %s WHERE version = %s",
                    [hashlib.sha256(migration.path.read_bytes()).hexdigest(), migration.version],
                )


def test_released_migrations_are_unchanged() -> None:
    """Deployed databases recorded these checksums; migrate refuses an edited file."""
    assert released_checksums() == {
        1: "55c637559e0696fc7cf3120d92621971381915192597ebdc27e22a0fef82a637",
        2: "b49414118b289c54253208bd4e651e4335254c0f6306c97d8699585fa82bc759",
        3: "64c190685aead446f8bfd57ffafa681346cce7f3c08137f79e97f77a577832d1",
    }


def test_previous_release_upgrades_in_place_with_rows_intact(empty_dsn: str, dsn: str) -> None:
    deploy_previous_release(empty_dsn)
    org = uuid.uuid4()
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT runlog.set_schedule(%s, 'xledger', '*/5 * * * *', 'Europe/Oslo')", [org]
        )
        # one slot enqueued: the schedule has a last_slot and a later next_slot
        conn.execute(
            "SELECT runlog.tick(next_slot + interval '1 second') FROM runlog.sync_schedule"
        )
        done = conn.execute("SELECT id FROM runlog.start_run(%s, 'xledger')", [org]).fetchone()
        assert done is not None
        conn.execute("SELECT runlog.finish_run(%s, 'succeeded', 10, 1)", [done[0]])
        conn.execute("SELECT runlog.start_run(%s, 'dynamics')", [org])
        conn.execute("SELECT runlog.request_sync(%s, 'visma')", [org])
        before = conn.execute(
            "SELECT id, org_id, integration_type, status, records_processed, records_failed,"
            " queued_at, started_at, ended_at FROM runlog.sync_run_log ORDER BY id"
        ).fetchall()
        schedules = conn.execute(
            "SELECT org_id, integration_type, cron, time_zone FROM runlog.sync_schedule"
        ).fetchall()
        slots = conn.execute("SELECT id, next_slot, last_slot FROM runlog.sync_schedule").fetchall()
        assert slots[0][2] is not None

    migrate(empty_dsn)

    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        after = conn.execute(
            "SELECT id, org_id, integration_type, status, records_processed, records_failed,"
            " queued_at, started_at, ended_at FROM runlog.sync_run_log ORDER BY id"
        ).fetchall()
        assert after == before, "the upgrade changed or lost runs"
        assert (
            conn.execute(
                "SELECT org_id, integration_type, cron, time_zone FROM runlog.sync_schedule"
            ).fetchall()
            == schedules
        ), "the upgrade changed or lost schedules"
        assert (
            conn.execute(
                "SELECT schedule_id, next_slot, last_slot FROM runlog.schedule_slot"
            ).fetchall()
            == slots
        ), "the upgrade lost the schedules' next and last slots (now in runlog.schedule_slot)"
        running = conn.execute(
            "SELECT id FROM runlog.sync_run_log WHERE status = 'running'"
        ).fetchone()
        assert running is not None
        finished = conn.execute(
            "SELECT status FROM runlog.finish_run(%s, 'succeeded')", [running[0]]
        ).fetchone()
        assert finished == ("succeeded",), "a run started before the upgrade finishes after it"
    assert catalog(empty_dsn) == catalog(dsn), "the upgraded schema differs from a fresh one"


def test_an_upgrade_commits_its_migrations_with_their_functions_or_nothing(
    empty_dsn: str, tmp_path: Path
) -> None:
    """A pg_cron tick never meets new tables with old functions: one transaction, or none.

    A function file that fails makes the whole upgrade roll back, so the
    database keeps 0.1.0's schema and functions, and its tick still works.
    """
    deploy_previous_release(empty_dsn)
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / "functions" / "version.sql").write_text("SELECT no_such_function();\n")
    with pytest.raises(MigrationError, match=r"version\.sql"):
        migrate(empty_dsn, copy)
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        versions = conn.execute("SELECT version FROM runlog.schema_migrations ORDER BY 1")
        assert [v for (v,) in versions] == [1, 2, 3]
        assert conn.execute("SELECT to_regclass('runlog.schedule_slot')").fetchone() == (None,)
        assert conn.execute("SELECT runlog.tick()").fetchone() == (0,)
