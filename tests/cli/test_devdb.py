"""`pyrunlog devdb`: a development database kept until stopped, through the console script.

It starts a cluster of its own (not the session's), in a state directory of
the test's own (PYRUNLOG_DEVDB_DIR) that the server's OS user can enter.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pyrunlog.devdb import blocked_for_server
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
def open_dir() -> Iterator[Path]:
    """A directory every OS user may enter, as a user's own home is to the server he starts
    (pytest's tmp_path is closed to others when the tests run as root)."""
    directory = Path(tempfile.mkdtemp(prefix="pyrunlog-devdb-test-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def devdb_dir(open_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PYRUNLOG_DEVDB_DIR", str(open_dir / "state"))
    yield open_dir / "state"
    pyrunlog("devdb", "stop", ok=False)


def test_as_root_the_directory_closed_to_the_server_user_is_named(open_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root runs the server as another OS user")
    closed = open_dir / "home"
    closed.mkdir(mode=0o700)
    assert blocked_for_server(closed / ".local" / "state") == closed
    assert blocked_for_server(open_dir / "state") is None


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
    assert cluster_dir == devdb_dir / "cluster", "the data lives under the state directory"
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
