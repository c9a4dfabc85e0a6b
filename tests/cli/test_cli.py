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
from pyrunlog.repository import RunLog

ORG = uuid.UUID("00000000-0000-4000-8000-000000000007")


def console_script() -> str:
    found = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert found, "the pyrunlog console script is installed next to the interpreter"
    return found


def test_migrate_reports_up_to_date_on_a_migrated_database(dsn: str) -> None:
    result = CliRunner().invoke(cli, ["migrate", "--dsn", dsn])
    assert result.exit_code == 0, result.output
    assert "schema is up to date (version 0001)" in result.output


def test_version_prints_package_and_schema(dsn: str) -> None:
    result = CliRunner().invoke(cli, ["version"], env={"PYRUNLOG_DSN": dsn})
    assert result.exit_code == 0, result.output
    assert "schema 0001" in result.output


def test_status_json_parses_back(dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger")
    runlog.finish_run(run.id, "failed", 3, 1, "HTTP 429 Too Many Requests\nretry later")
    result = CliRunner().invoke(cli, ["status", "--dsn", dsn, "--org", str(ORG), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["integration_type"], r["status"], r["records_failed"]) for r in rows] == [
        ("xledger", "failed", 1)
    ]


def test_status_table_shows_status_and_first_error_line(dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger")
    runlog.finish_run(run.id, "failed", 0, 0, "HTTP 429\nsecond line")
    result = CliRunner().invoke(cli, ["status", "--dsn", dsn, "--org", str(ORG)],
                                terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "failed" in result.output
    assert "HTTP 429" in result.output
    assert "second line" not in result.output


def test_migrate_through_the_console_script(empty_dsn: str) -> None:
    result = subprocess.run([console_script(), "migrate", "--dsn", empty_dsn],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "applied migrations 0001" in result.stdout


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
def test_demo_runs_on_its_own_throwaway_cluster() -> None:
    result = CliRunner().invoke(cli, ["demo"], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "refused:" in result.output
    assert "last runs: Fjordline AS" in result.output
