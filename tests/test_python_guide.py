"""docs/python.md steps 1-8, run as written: from nothing to a handler running on a schedule.

The shell blocks run in bash with the package's console script on PATH, one
after the other, each with the environment the previous ones exported. So the
guide's own `pyrunlog devdb start` makes the database (a cluster of its own,
in a state directory of the test's own), and every later step connects as the
login the guide names. The worker block starts in the background. A block
after `<!-- guide: not run (reason) -->` is skipped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "python.md"
STEP = re.compile(r"^## ([1-8])\. ")


@dataclass
class Block:
    step: int
    language: str
    text: str


def walkthrough() -> list[Block]:
    """The code blocks of steps 1-8 that the guide does not mark as not run."""
    blocks: list[Block] = []
    step = 0
    skip_next = False
    lines = iter(GUIDE.read_text().splitlines())
    for line in lines:
        if line.startswith("## "):
            match = STEP.match(line)
            step = int(match.group(1)) if match else 0
        elif line.startswith("<!-- guide: not run"):
            skip_next = True
        elif line.startswith("```") and len(line) > 3:
            body = []
            for inner in lines:
                if inner.startswith("```"):
                    break
                body.append(inner)
            if step and not skip_next:
                blocks.append(Block(step, line[3:].strip(), "\n".join(body) + "\n"))
            skip_next = False
    return blocks


def test_the_walkthrough_covers_every_step() -> None:
    """Each step 2-8 has something the test runs; step 1 is the install this test runs in."""
    assert {block.step for block in walkthrough()} == set(range(2, 9))


class Shell:
    """Runs the guide's shell blocks one after the other, keeping what they export."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYRUNLOG_")}
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"
        self.env["PYRUNLOG_DEVDB_DIR"] = str(workdir / "devdb-state")
        self.background: list[subprocess.Popen[str]] = []

    def run(self, script: str) -> str:
        envfile = self.workdir / ".env0"
        result = subprocess.run(
            ["bash", "-c", f"set -euo pipefail\n{script}\nenv -0 > {envfile}"],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, result.stderr
        pairs = (item.partition("=") for item in envfile.read_text().split("\0") if item)
        self.env = {name: value for name, _, value in pairs}
        return result.stdout

    def start(self, command: str) -> subprocess.Popen[str]:
        with (self.workdir / "worker.log").open("w") as log:
            process = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=self.workdir, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        self.background.append(process)
        return process


def _wait_for_runs(dsn: str, worker: subprocess.Popen[str], log: Path) -> None:
    """Until the schedule's run (pg_cron, at the next minute) and the triggered one succeeded."""
    deadline = time.monotonic() + 100
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
        with psycopg.connect(dsn) as conn:
            done = conn.execute(
                "SELECT array_agg(DISTINCT triggered_by ORDER BY triggered_by)"
                " FROM runlog.sync_run_log WHERE status = 'succeeded' AND records_processed = 42"
            ).fetchone()
        if done and done[0] == ["manual", "scheduler"]:
            return
        time.sleep(1)
    raise AssertionError(f"no scheduled and manual run succeeded:\n{log.read_text()}")


@pytest.mark.slow
def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    """Waits for pg_cron's next minute: the guide promises a handler run on a schedule."""
    shell = Shell(tmp_path)
    outputs: dict[int, list[str]] = {}
    sql_rows: list[tuple[object, ...]] = []
    try:
        for block in walkthrough():
            if block.step == 8 and not outputs.get(8):
                _wait_for_runs(shell.env["PYRUNLOG_DSN"], shell.background[0],
                               tmp_path / "worker.log")  # fmt: skip
                outputs[8] = []
            if block.language == "python":
                name = block.text.splitlines()[0].removeprefix("# ").strip()
                assert name.endswith(".py"), "a walkthrough Python block names its file"
                (tmp_path / name).write_text(block.text)
            elif block.language == "sql":
                with psycopg.connect(shell.env["PYRUNLOG_DSN"]) as conn:
                    sql_rows.extend(conn.execute(block.text).fetchall())
            elif block.text.startswith("pyrunlog worker "):
                shell.start(block.text.strip())
            else:
                assert block.language == "sh", block
                outputs.setdefault(block.step, []).append(shell.run(block.text))
        status = outputs[8][0]
        assert "my_export" in status
        assert "succeeded" in status
        assert "42" in status
        assert "schema is up to date" in outputs[3][0]
        assert "runlog_tick" in outputs[4][0]
        statuses = {(row[1], row[2], row[4]) for row in sql_rows}
        assert {("succeeded", "scheduler", 42), ("succeeded", "manual", 42)} <= statuses
    finally:
        for process in shell.background:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        subprocess.run(["pyrunlog", "devdb", "stop"], env=shell.env, capture_output=True,
                       check=False, timeout=60)  # fmt: skip
