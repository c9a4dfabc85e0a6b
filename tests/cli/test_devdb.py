"""`pyrunlog devdb`: a development database kept until stopped, through the console script.

It starts a cluster of its own (not the session's), in a state directory of
the test's own (PYRUNLOG_DEVDB_DIR).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli.test_console_script import pyrunlog


def _exports(text: str) -> dict[str, str]:
    """The variables of the `export NAME='...'  # comment` lines, as the shell reads them."""
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = shlex.split(line, comments=True)[1].partition("=")
            found[name] = value
    return found


@pytest.fixture
def devdb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PYRUNLOG_DEVDB_DIR", str(tmp_path / "state"))
    yield tmp_path / "state"
    pyrunlog("devdb", "stop", ok=False)


@pytest.mark.slow
def test_start_status_env_stop(devdb_dir: Path) -> None:
    started = pyrunlog("devdb", "start")
    assert "devdb started" in started.stdout
    dsns = _exports(started.stdout)
    assert set(dsns) == {
        "PYRUNLOG_DSN", "PYRUNLOG_OWNER_DSN", "PYRUNLOG_WORKER_DSN", "PYRUNLOG_READER_DSN",
    }  # fmt: skip

    # Each login holds exactly its documented role, on a migrated schema with pg_cron.
    for variable, role in (
        ("PYRUNLOG_DSN", "runlog_admin"),
        ("PYRUNLOG_WORKER_DSN", "runlog_worker"),
        ("PYRUNLOG_READER_DSN", "runlog_reader"),
    ):
        with psycopg.connect(dsns[variable]) as conn:
            held = conn.execute(
                "SELECT array_agg(r.rolname) FROM pg_auth_members m"
                " JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = current_user::regrole"
            ).fetchone()
            assert held == ([role],)
            assert conn.execute("SELECT runlog.version()").fetchone() is not None
    with psycopg.connect(dsns["PYRUNLOG_OWNER_DSN"]) as conn:
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'").fetchone()
        conn.execute("CREATE TABLE kept (x int)")  # to see that start again keeps the data

    again = pyrunlog("devdb", "start")
    assert "already running" in again.stdout
    assert _exports(again.stdout) == dsns
    status = pyrunlog("devdb", "status")
    assert "devdb is running" in status.stdout
    assert _exports(pyrunlog("devdb", "env").stdout) == dsns
    with psycopg.connect(dsns["PYRUNLOG_OWNER_DSN"]) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone() == ("kept",)

    cluster_dir = Path(started.stdout.split("cluster ", 1)[1].split(",", 1)[0])
    assert (cluster_dir / "data").is_dir()
    stopped = pyrunlog("devdb", "stop")
    assert not cluster_dir.exists(), "stop deletes the cluster"
    assert "stopped and removed" in stopped.stdout
    stopped_status = pyrunlog("devdb", "status", ok=False)
    assert stopped_status.returncode == 1
    assert "not running" in stopped_status.stdout
    assert pyrunlog("devdb", "env", ok=False).returncode == 1
    assert "was not running" in pyrunlog("devdb", "stop").stdout
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsns["PYRUNLOG_OWNER_DSN"], connect_timeout=3)


@pytest.mark.slow
def test_start_after_the_server_went_down_keeps_the_data(devdb_dir: Path) -> None:
    """A reboot stops the server but keeps the cluster: start brings the same one back."""
    from pyrunlog import devdb

    dsns = _exports(pyrunlog("devdb", "start").stdout)
    with psycopg.connect(dsns["PYRUNLOG_OWNER_DSN"], autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    found = devdb.status()
    assert found is not None
    found.cluster._run("pg_ctl", "-D", str(found.cluster.datadir), "-m", "fast", "-w", "stop")
    assert pyrunlog("devdb", "status", ok=False).returncode == 1

    assert "devdb started" in pyrunlog("devdb", "start").stdout
    with psycopg.connect(dsns["PYRUNLOG_OWNER_DSN"]) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone() == ("kept",)
