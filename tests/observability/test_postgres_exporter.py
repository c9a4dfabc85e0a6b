"""deploy/postgres_exporter/queries.yaml serves the same metrics as `pyrunlog exporter`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg.conninfo import conninfo_to_dict

from pyrunlog.observability.sql_metrics import read_metrics
from tests.observability.deploy_files import PG_EXPORTER_QUERIES
from tests.observability.processes import free_port, get

EXPORTER = shutil.which("prometheus-postgres-exporter")
ORG = uuid.UUID("00000000-0000-4000-8000-0000000000e1")

pytestmark = pytest.mark.skipif(
    EXPORTER is None,
    reason="prometheus-postgres-exporter not installed (Debian package; make postgres installs"
    " it as root)",
)


def lib_pq_dsn(dsn: str) -> str:
    """The DSN for lib/pq (Go): key=value, no TLS over the local socket."""
    parts = {**conninfo_to_dict(dsn), "sslmode": "disable"}
    return " ".join(f"{key}={value}" for key, value in parts.items())


def scrape(url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, text = get(url)
        if status == 200 and "pyrunlog_" in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"no pyrunlog metrics at {url}: {status} {text[:500]}")


def test_postgres_exporter_serves_the_same_samples(
    worker_dsn: str, monitor_dsn: str, conn: psycopg.Connection[object], tmp_path: Path
) -> None:
    """Enqueues scheduled runs as the superuser (tick's private helper) to fill the histogram."""
    conn.execute("SELECT runlog.set_schedule(%s, 'dynamics', '*/5 * * * *')", [ORG])
    conn.execute(
        "SELECT runlog._insert_run(%s, 'xledger', 'queued', 'scheduler',"
        " now() - interval '7 minutes', 'slot-1')",
        [ORG],
    )
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        run = worker.execute("SELECT (runlog.claim_next('pg-exporter-test')).id").fetchone()[0]
        worker.execute("SELECT runlog.finish_run(%s, 'failed')", [run])
    port = free_port()
    env = {**os.environ, "DATA_SOURCE_NAME": lib_pq_dsn(monitor_dsn)}
    assert EXPORTER is not None
    with (tmp_path / "postgres_exporter.log").open("w") as log:
        process = subprocess.Popen(
            [
                EXPORTER, f"--web.listen-address=127.0.0.1:{port}",
                f"--extend.query-path={PG_EXPORTER_QUERIES}", "--disable-default-metrics",
                "--disable-settings-metrics", "--no-collector.database", "--no-collector.bgwriter",
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        text = scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        process.terminate()
        process.wait(timeout=30)
    served = {  # without the label postgres_exporter adds, server (host:port)
        (s.name, frozenset((k, v) for k, v in s.labels.items() if k != "server")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("pyrunlog_")
    }
    with psycopg.connect(monitor_dsn) as monitor:
        expected = {
            (row.name, frozenset(row.labels.items())): row.value for row in read_metrics(monitor)
        }
    assert set(served) == set(expected), (tmp_path / "postgres_exporter.log").read_text()
    for key, value in expected.items():
        if "age_seconds" in key[0] or key[0] == "pyrunlog_start_drift_seconds_sum":
            assert served[key] == pytest.approx(value, abs=5), key
        else:
            assert served[key] == value, key
