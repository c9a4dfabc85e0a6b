"""`pyrunlog exporter` serves runlog.metrics() at /metrics, with its own scrape metrics."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg

from pyrunlog.observability.catalog import EXPORTER_METRICS, SQL_METRICS
from tests.helpers import Conn
from tests.observability.processes import get, scrape, serving

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000b1")


def test_the_exporter_serves_every_metric_as_the_monitor_login(
    worker_dsn: str, monitor_dsn: str, tmp_path: Path
) -> None:
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        run = worker.execute("SELECT id FROM runlog.start_run(%s, 'xledger')", [ORG]).fetchone()[0]
        worker.execute("SELECT runlog.finish_run(%s, 'succeeded')", [run])
    args = ["exporter", "--dsn", monitor_dsn, "--port", "0", "--log-format", "json"]
    with serving(args, tmp_path / "exporter.log") as url:
        assert url.startswith("http://127.0.0.1:")
        samples = scrape(url)
        _, text = get(f"{url}/metrics")
    families = {name for name, _ in samples}
    for spec in SQL_METRICS + EXPORTER_METRICS:
        assert set(spec.samples) <= families, spec.name
    key = frozenset(
        {"integration_type": "xledger", "status": "succeeded", "failure_type": "none"}.items()
    )
    assert samples[("pyrunlog_runs_finished_total", key)] == 1
    assert samples[("pyrunlog_exporter_up", frozenset())] == 1
    assert samples[("pyrunlog_exporter_scrape_errors_total", frozenset())] == 0
    assert "# HELP pyrunlog_runs_finished_total Runs finished" in text
    lines = (tmp_path / "exporter.log").read_text().splitlines()
    assert json.loads(lines[0])["message"].startswith("serving http://127.0.0.1:")


def test_a_scrape_that_times_out_counts_an_error_and_the_next_recovers(
    conn: Conn, monitor_dsn: str, tmp_path: Path
) -> None:
    """Locks the counters table as the superuser to make runlog.metrics() wait."""
    args = ["exporter", "--dsn", monitor_dsn, "--port", "0", "--timeout-ms", "1500"]
    with serving(args, tmp_path / "exporter.log") as url:
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE runlog.run_counters IN ACCESS EXCLUSIVE MODE")
        blocked = scrape(url)
        conn.execute("ROLLBACK")
        recovered = scrape(url)
    assert blocked[("pyrunlog_exporter_up", frozenset())] == 0
    assert blocked[("pyrunlog_exporter_scrape_errors_total", frozenset())] == 1
    assert not any(name == "pyrunlog_runs" for name, _ in blocked)
    assert recovered[("pyrunlog_exporter_up", frozenset())] == 1
    assert recovered[("pyrunlog_exporter_scrape_errors_total", frozenset())] == 1
    assert "scrape failed" in (tmp_path / "exporter.log").read_text()


def test_the_exporter_refuses_a_database_without_the_schema(empty_dsn: str, tmp_path: Path) -> None:
    import subprocess

    from tests.observability.processes import console_script

    result = subprocess.run(
        [console_script(), "exporter", "--dsn", empty_dsn, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "schema runlog is not installed" in result.stderr


def test_a_port_in_use_is_one_clear_line_not_a_traceback(dsn: str) -> None:
    import socket
    import subprocess

    from tests.observability.processes import console_script

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [console_script(), "exporter", "--dsn", dsn, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_served_as_up_0(tmp_path: Path) -> None:
    """Nothing listens on the DSN's port: the exporter still serves, with up 0."""
    from tests.observability.processes import free_port

    dsn = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    with serving(["exporter", "--dsn", dsn, "--port", "0"], tmp_path / "exporter.log") as url:
        samples = scrape(url)
    assert samples[("pyrunlog_exporter_up", frozenset())] == 0
    assert "cannot reach the database now" in (tmp_path / "exporter.log").read_text()
