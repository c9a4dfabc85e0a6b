"""Every CLI command through the installed console script, in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from pyrunlog.localpg import find_bindir
from pyrunlog.migrate import latest_version, migrations
from pyrunlog.repository import RunLog

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000cc")


def pyrunlog(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    script = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert script, "the pyrunlog console script is installed next to the interpreter"
    result = subprocess.run([script, *args], capture_output=True, text=True, timeout=120)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_read_commands_print_json_that_parses_back(admin_dsn: str, runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger", "scheduler", None)
    runlog.finish_run(run.id, "failed", 3, 1, "HTTP 429")
    runlog.set_schedule(ORG, "xledger", "0 6 * * *", "Europe/Oslo")
    version = json.loads(pyrunlog("version", "--dsn", admin_dsn, "--json").stdout)
    assert version["schema"] == f"{latest_version():04d}"
    status = json.loads(pyrunlog("status", "--dsn", admin_dsn, "--json").stdout)
    assert [(r["integration_type"], r["status"]) for r in status] == [("xledger", "failed")]
    history = json.loads(
        pyrunlog("history", "--dsn", admin_dsn, "--org", str(ORG), "--json").stdout
    )
    assert [r["id"] for r in history] == [run.id]
    schedules = json.loads(pyrunlog("schedule", "list", "--dsn", admin_dsn, "--json").stdout)
    assert schedules[0]["time_zone"] == "Europe/Oslo"
    slots = json.loads(
        pyrunlog("schedule", "next", "--dsn", admin_dsn, "0 6 * * *", "-n", "3", "--json").stdout
    )
    assert len(slots) == 3
    health = json.loads(pyrunlog("health", "--dsn", admin_dsn, "--org", str(ORG), "--json").stdout)
    assert [(h["integration_type"], h["state"]) for h in health] == [("xledger", "unhealthy")]
    doctor = pyrunlog("doctor", "--dsn", admin_dsn, "--json", ok=False)
    findings = {f["check"]: f for f in json.loads(doctor.stdout)}
    assert doctor.returncode == 1, "nothing drives tick here: doctor must say so"
    assert findings["scheduler"]["level"] == "fail"
    assert findings["schema"]["level"] == "ok"


def test_write_commands(admin_dsn: str, runlog: RunLog) -> None:
    assert (
        "queued run" in pyrunlog("trigger", "--dsn", admin_dsn, "--org", str(ORG), "visma").stdout
    )
    (queued,) = runlog.run_history(ORG)
    assert (
        "cancelled run"
        in pyrunlog("cancel", "--dsn", admin_dsn, str(queued.id), "--reason", "x").stdout
    )
    assert runlog.run_history(ORG)[0].error_message == "x"
    out = pyrunlog(
        "schedule", "add", "--dsn", admin_dsn, "--org", str(ORG), "visma", "*/5 * * * *"
    ).stdout
    assert out.startswith("visma: '*/5 * * * *' UTC, next")
    assert (
        "disabled"
        in pyrunlog("schedule", "disable", "--dsn", admin_dsn, "--org", str(ORG), "visma").stdout
    )
    assert (
        "enabled"
        in pyrunlog("schedule", "enable", "--dsn", admin_dsn, "--org", str(ORG), "visma").stdout
    )
    assert (
        "removed"
        in pyrunlog("schedule", "remove", "--dsn", admin_dsn, "--org", str(ORG), "visma").stdout
    )
    assert "enqueued 0 runs" in pyrunlog("tick", "--dsn", admin_dsn).stdout
    assert (
        "deleted 0 runs" in pyrunlog("prune", "--dsn", admin_dsn, "--older-than-days", "30").stdout
    )
    assert "passive" in pyrunlog("health-mode", "--dsn", admin_dsn, "visma", "passive").stdout
    assert "# SQL reference" in pyrunlog("reference", "--dsn", admin_dsn).stdout


def test_status_watch_refreshes_and_stops(admin_dsn: str, runlog: RunLog) -> None:
    runlog.start_run(ORG, "xledger")
    result = pyrunlog("status", "--dsn", admin_dsn, "--watch", "--count", "2", "--interval", "0.1")
    assert "xledger" in result.stdout


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("host=127.0.0.1 port=1 connect_timeout=2", "cannot connect to PostgreSQL"),
        ("this is not a admin_dsn", "invalid connection string"),
    ],
    ids=["server-down", "bad-admin_dsn"],
)
def test_connection_problems_are_one_clear_line(dsn: str, expected: str) -> None:
    line = one_error_line(pyrunlog("status", "--dsn", dsn, ok=False))
    assert expected in line


def test_an_unknown_role_is_one_clear_line(admin_dsn: str) -> None:
    from psycopg.conninfo import make_conninfo

    line = one_error_line(
        pyrunlog("status", "--dsn", make_conninfo(admin_dsn, user="nobody"), ok=False)
    )
    assert 'role "nobody" does not exist' in line


def test_a_missing_schema_says_run_migrate(empty_dsn: str) -> None:
    line = one_error_line(pyrunlog("status", "--dsn", empty_dsn, ok=False))
    assert "schema runlog is not installed in this database: run pyrunlog migrate" in line


def test_an_older_schema_says_run_migrate(empty_dsn: str) -> None:
    first = migrations()[0]
    psql = [str(find_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", empty_dsn]
    subprocess.run([*psql, "-f", str(first.path)], check=True, capture_output=True)
    line = one_error_line(pyrunlog("status", "--dsn", empty_dsn, ok=False))
    assert f"schema runlog is at 0001 but this pyrunlog needs {latest_version():04d}" in line


def test_a_newer_schema_says_upgrade(dsn: str, admin_dsn: str) -> None:
    """Planting a future migration row needs the schema owner (the superuser)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO runlog.schema_migrations (version, name) VALUES (9999, 'future')")
    line = one_error_line(pyrunlog("history", "--dsn", admin_dsn, "--org", str(ORG), ok=False))
    assert "newer than this pyrunlog" in line
    assert "upgrade pyrunlog" in line


def test_pg_cron_missing_is_one_clear_line(admin_dsn: str) -> None:
    line = one_error_line(pyrunlog("cron", "install", "--dsn", admin_dsn, ok=False))
    # the test cluster preloads pg_cron for its own database, not this one
    assert "pg_cron is loaded but runs its jobs in database pyrunlog, not in" in line
    assert "Set cron.database_name =" in line


def test_bad_input_is_one_clear_line(admin_dsn: str) -> None:
    args = ["schedule", "add", "--dsn", admin_dsn, "--org", str(ORG), "Bad", "* * * * *"]
    line = one_error_line(pyrunlog(*args, ok=False))
    assert "invalid integration_type 'Bad'" in line
