"""A real scrape: Debian's Prometheus server scrapes `pyrunlog exporter` while syncs run."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.helpers import Conn
from tests.observability.processes import free_port, get, serving

PROMETHEUS = Path("/usr/bin/prometheus")
ORG = uuid.UUID("00000000-0000-4000-8000-0000000000c1")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PROMETHEUS.exists() and shutil.which("prometheus") is None,
        reason="Prometheus server not installed: Debian package prometheus (make postgres"
        " installs it as root)",
    ),
]


def query(base: str, expression: str) -> float | None:
    """The value of an instant query that returns one series (None while it returns none)."""
    status, body = get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    if status == 0:
        return None  # not listening yet
    assert status == 200, body
    result = json.loads(body)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def wait_for(base: str, expression: str, expected: float, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = query(base, expression)
        if seen == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"{expression} = {seen}, expected {expected}")


def run_scheduled_syncs(conn: Conn, worker_dsn: str, late_minutes: list[int]) -> None:
    """Queue scheduled runs as tick() does for past slots (superuser: tick's private helper),
    then a worker login claims and finishes each."""
    now = dt.datetime.now(dt.timezone.utc)
    for minutes in late_minutes:
        slot = now - dt.timedelta(minutes=minutes)
        conn.execute(
            "SELECT runlog._insert_run(%s, 'xledger', 'queued', 'scheduler', %s, %s)",
            [ORG, slot, f"slot-{minutes}"],
        )
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        for status in ["succeeded"] * (len(late_minutes) - 1) + ["failed"]:
            run = worker.execute("SELECT (runlog.claim_next('scrape-test')).id").fetchone()[0]
            worker.execute("SELECT runlog.finish_run(%s, %s)", [run, status])


def test_prometheus_scrapes_run_counters_and_drift(
    conn: Conn, worker_dsn: str, monitor_dsn: str, tmp_path: Path
) -> None:
    exporter_args = ["exporter", "--dsn", monitor_dsn, "--port", "0"]
    with serving(exporter_args, tmp_path / "exporter.log") as exporter_url:
        target = exporter_url.removeprefix("http://")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: pyrunlog\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        port = free_port()
        log = (tmp_path / "prometheus.log").open("w")
        prometheus = subprocess.Popen(
            [
                str(PROMETHEUS), f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base, 'up{job="pyrunlog"}', 1)
            wait_for(base, "pyrunlog_exporter_up", 1)
            run_scheduled_syncs(conn, worker_dsn, late_minutes=[20, 8, 1])
            wait_for(base, 'sum(pyrunlog_runs_finished_total{integration_type="xledger"})', 3)
            # finish_run(failed) is a system_error since retries: sum over failure_type
            wait_for(base, 'sum(pyrunlog_runs_finished_total{status="failed"})', 1)
            wait_for(base, "sum(pyrunlog_start_drift_seconds_count)", 3)
            wait_for(base, 'sum(pyrunlog_start_drift_seconds_bucket{le="300"})', 1)
            wait_for(base, 'sum(pyrunlog_start_drift_seconds_bucket{le="600"})', 2)
            wait_for(base, 'sum(pyrunlog_start_drift_seconds_bucket{le="+Inf"})', 3)
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=30)
            log.close()
