"""The pyrunlog command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyrunlog.cli import cli
from pyrunlog.migrate import latest_version, migrations, repeatables
from pyrunlog.repository import RunLog
from tests.migrations.test_migrate import psql

ORG = uuid.UUID("00000000-0000-4000-8000-000000000007")


def console_script() -> str:
    found = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert found, "the pyrunlog console script is installed next to the interpreter"
    return found


def test_migrate_reports_up_to_date_on_a_migrated_database(dsn: str) -> None:
    """migrate runs as the schema owner (the superuser here), as the operations guide says."""
    result = CliRunner().invoke(cli, ["migrate", "--dsn", dsn])
    assert result.exit_code == 0, result.output
    assert f"schema is up to date (version {latest_version():04d})" in result.output


def test_version_prints_package_and_schema(admin_dsn: str) -> None:
    result = CliRunner().invoke(cli, ["version"], env={"PYRUNLOG_DSN": admin_dsn})
    assert result.exit_code == 0, result.output
    assert f"schema {latest_version():04d}" in result.output


def test_status_json_parses_back(admin_dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger")
    runlog.finish_run(run.id, "failed", 3, 1, "HTTP 429 Too Many Requests\nretry later")
    result = CliRunner().invoke(cli, ["status", "--dsn", admin_dsn, "--org", str(ORG), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["integration_type"], r["status"], r["records_failed"]) for r in rows] == [
        ("xledger", "failed", 1)
    ]


def test_status_table_shows_status_and_first_error_line(admin_dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger")
    runlog.finish_run(run.id, "failed", 0, 0, "HTTP 429\nsecond line")
    result = CliRunner().invoke(cli, ["status", "--dsn", admin_dsn, "--org", str(ORG)],
                                terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "failed" in result.output
    assert "HTTP 429" in result.output
    assert "second line" not in result.output


def test_a_reader_login_with_org_sees_its_organisation(reader_dsn: str, runlog: RunLog) -> None:
    """--org sets the organisation claim, as docs/python.md's reader DSN needs."""
    runlog.set_schedule(ORG, "xledger", "0 6 * * *")
    runlog.finish_run(runlog.start_run(ORG, "xledger").id, "succeeded", 7, 0)
    seen = {}
    for command in (["status"], ["history"], ["schedule", "list"]):
        args = [*command, "--dsn", reader_dsn, "--org", str(ORG), "--json"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        seen[command[0]] = [row["integration_type"] for row in json.loads(result.output)]
    assert seen == {"status": ["xledger"], "history": ["xledger"], "schedule": ["xledger"]}


def test_a_reader_login_without_org_is_told_why_it_sees_nothing(
    reader_dsn: str, admin_dsn: str, runlog: RunLog
) -> None:
    runlog.set_schedule(ORG, "xledger", "0 6 * * *")
    runlog.finish_run(runlog.start_run(ORG, "xledger").id, "succeeded", 7, 0)
    for command in (["status"], ["schedule", "list"]):
        result = CliRunner().invoke(cli, [*command, "--dsn", reader_dsn], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert "xledger" not in result.stdout
        assert "acts for no organisation" in result.stderr
        assert "pass --org ORG" in result.stderr
    admin = CliRunner().invoke(cli, ["status", "--dsn", admin_dsn], terminal_width=200)
    assert "xledger" in admin.stdout
    assert admin.stderr == ""


def test_migrate_after_a_psql_deployment_says_it_adopted_the_files(empty_dsn: str) -> None:
    """docs/operations.md: a later `pyrunlog migrate` adopts files applied with psql."""
    for path in [m.path for m in migrations()] + [r.path for r in repeatables()]:
        psql(empty_dsn, path)
    result = CliRunner().invoke(cli, ["migrate", "--dsn", empty_dsn])
    assert result.exit_code == 0, result.output
    versions = ", ".join(f"{m.version:04d}" for m in migrations())
    assert result.output.splitlines() == [
        f"adopted migrations {versions}, applied without pyrunlog (psql): recorded their checksums",
        f"applied and recorded the checksums of {len(repeatables())} function, view or grant files",
    ]
    again = CliRunner().invoke(cli, ["migrate", "--dsn", empty_dsn])
    assert again.output == f"schema is up to date (version {latest_version():04d})\n"


def test_migrate_through_the_console_script(empty_dsn: str) -> None:
    result = subprocess.run([console_script(), "migrate", "--dsn", empty_dsn],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "applied migrations " + ", ".join(f"{m.version:04d}" for m in migrations()),
        f"applied and recorded the checksums of {len(repeatables())} function, view or grant files",
    ], "migrate says what it applied: the migrations and the function files"


@pytest.mark.parametrize(
    "dsn",
    ["host=127.0.0.1 port=1 connect_timeout=2", "this is not a dsn"],
    ids=["server-down", "malformed"],
)
def test_connection_problems_are_one_clear_line_without_traceback(dsn: str) -> None:
    result = subprocess.run([console_script(), "migrate", "--dsn", dsn],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")


def test_a_schema_newer_than_the_package_is_a_clear_error(dsn: str) -> None:
    """Planting a future migration row and migrating need the schema owner (the superuser)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO runlog.schema_migrations (version, name) VALUES (42, 'x')")
    result = CliRunner().invoke(cli, ["migrate", "--dsn", dsn])
    assert result.exit_code == 1
    assert "newer than this package" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "pyrunlog", "--help"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0
    assert "migrate" in result.stdout


@pytest.mark.slow
def test_demo_shows_pg_cron_fired_runs() -> None:
    result = CliRunner().invoke(cli, ["demo", "--seconds", "70"], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "pg_cron jobs installed: runlog_tick" in result.output
    assert "Prometheus metrics (pyrunlog exporter): http://127.0.0.1:" in result.output
    assert "summary: runs by trigger and status" in result.output
    assert "avg duration (s)" in result.output
    assert "│ scheduler" in result.output, "pg_cron must have fired scheduled runs"
    assert "logins: demo_admin (runlog_admin) schedules, demo_worker (runlog_worker)" in (
        result.output
    )
    assert "every slot of every minute enqueued" in result.output, result.output


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_schedule_commands_round_trip(admin_dsn: str) -> None:
    org = str(ORG)
    out = invoke("schedule", "add", "--dsn", admin_dsn, "--org", org, "xledger", "0 6 * * mon-fri",
                 "--tz", "Europe/Oslo", "--catch-up", "all", "--prewarm-lead", "120")  # fmt: skip
    assert "xledger: '0 6 * * mon-fri' Europe/Oslo, next" in out
    listed = json.loads(invoke("schedule", "list", "--dsn", admin_dsn, "--json"))
    assert [(s["integration_type"], s["catch_up"], s["prewarm_lead"]) for s in listed] == [
        ("xledger", "all", 120.0)
    ]
    assert "0 6 * * mon-fri" in invoke("schedule", "list", "--dsn", admin_dsn, "--org", org)
    assert "disabled schedule" in invoke(
        "schedule", "disable", "--dsn", admin_dsn, "--org", org, "xledger"
    )
    assert "enabled schedule" in invoke(
        "schedule", "enable", "--dsn", admin_dsn, "--org", org, "xledger"
    )
    assert "removed schedule" in invoke(
        "schedule", "remove", "--dsn", admin_dsn, "--org", org, "xledger"
    )
    assert json.loads(invoke("schedule", "list", "--dsn", admin_dsn, "--json")) == []


def test_schedule_add_with_a_bad_expression_is_a_clear_error(admin_dsn: str) -> None:
    result = CliRunner().invoke(
        cli, ["schedule", "add", "--dsn", admin_dsn, "--org", str(ORG), "xledger", "61 * * * *"]
    )
    assert result.exit_code == 1
    assert "invalid cron expression '61 * * * *'" in result.output


def test_removing_an_unknown_schedule_is_a_clear_error(admin_dsn: str) -> None:
    result = CliRunner().invoke(
        cli, ["schedule", "remove", "--dsn", admin_dsn, "--org", str(ORG), "x"]
    )
    assert result.exit_code == 1
    assert "no schedule for 'x'" in result.output


def test_schedule_next_prints_slots(admin_dsn: str) -> None:
    out = invoke(
        "schedule", "next", "--dsn", admin_dsn, "0 6 1 * *", "--tz", "Europe/Oslo", "-n", "2"
    )
    lines = out.split()
    assert len(lines) == 2
    assert all(line.endswith(("05:00:00+00:00", "04:00:00+00:00")) for line in lines)


def test_trigger_and_tick(admin_dsn: str, runlog: RunLog) -> None:
    assert "queued run" in invoke("trigger", "--dsn", admin_dsn, "--org", str(ORG), "visma")
    assert runlog.run_history(ORG)[0].status.value == "queued"
    assert "enqueued 0 runs" in invoke("tick", "--dsn", admin_dsn)


def test_cron_install_without_pg_cron_is_a_clear_error(admin_dsn: str) -> None:
    result = CliRunner().invoke(cli, ["cron", "install", "--dsn", admin_dsn])
    assert result.exit_code == 1
    assert "pg_cron is loaded but runs its jobs in database pyrunlog" in result.output


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nomodule", "expected module:attribute"),
        ("tests.worker.apps:missing", "cannot load"),
        ("tests.worker.apps:EXECUTIONS_DDL", "is not a pyrunlog.App"),
    ],
)
def test_worker_with_a_bad_app_is_a_clear_error(admin_dsn: str, spec: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["worker", "--dsn", admin_dsn, "--app", spec])
    assert result.exit_code == 2
    assert message in result.output
