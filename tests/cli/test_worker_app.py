"""`pyrunlog worker --app mymodule:app` finds mymodule in the current directory."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyrunlog.cli import cli
from pyrunlog.repository import RunLog
from tests.worker.conftest import wait_for

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000e1")

MODULE = """
from pyrunlog.app import App, SyncContext

app = App()

@app.handler("xledger")
def export(ctx: SyncContext) -> None:
    ctx.add(processed=7)
"""


@pytest.mark.slow
def test_the_console_script_imports_the_app_from_the_current_directory(
    tmp_path: Path, worker_dsn: str, admin_dsn: str
) -> None:
    (tmp_path / "mymodule.py").write_text(textwrap.dedent(MODULE))
    script = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert script
    with RunLog(admin_dsn) as admin:
        queued = admin.request_sync(ORG, "xledger")
        worker = subprocess.Popen(
            [script, "worker", "--dsn", worker_dsn, "--app", "mymodule:app",
             "--poll-interval", "0.5"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_for(
                lambda: (
                    worker.poll() is not None
                    or admin.run_history(ORG)[0].status.value == "succeeded"
                ),
                what="the run to succeed",
            )
            assert worker.poll() is None, "the worker exited"
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
        assert "No module named" not in output
        [done] = admin.run_history(ORG)
        assert (done.id, done.records_processed) == (queued.id, 7)


def test_a_missing_module_is_one_clear_error(tmp_path: Path, worker_dsn: str) -> None:
    script = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert script
    result = subprocess.run(
        [script, "worker", "--dsn", worker_dsn, "--app", "nosuchmodule:app"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot load nosuchmodule:app: No module named 'nosuchmodule'" in result.stderr


def test_a_reader_login_is_told_a_worker_needs_runlog_worker(
    tmp_path: Path, reader_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runlog_reader login, as PYRUNLOG_READER_DSN is, fails before claiming anything."""
    (tmp_path / "mymodule.py").write_text(MODULE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["worker", "--dsn", reader_dsn, "--app", "mymodule:app"])
    assert result.exit_code == 1
    assert "a worker needs the role runlog_worker, which this login does not hold" in (
        result.output
    )
    assert "claim_runs" not in result.output
