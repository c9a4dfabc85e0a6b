"""`pyrunlog worker --metrics-port`: handler metrics, /livez, /readyz, JSON log lines."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import psycopg

from tests.observability.processes import get, scrape, serving

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000d1")


def wait_until_ended(worker_dsn: str, runs: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(worker_dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            ended = conn.execute(
                "SELECT count(*) FROM runlog.sync_run_log WHERE ended_at IS NOT NULL"
            ).fetchone()[0]
            if ended == runs:
                return
            time.sleep(0.2)
    raise AssertionError(f"{runs} runs did not end within {timeout}s")


def test_worker_serves_probes_metrics_and_json_logs(worker_dsn: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    args = [
        "worker", "--dsn", worker_dsn, "--app", "tests.observability.apps:app",
        "--poll-interval", "1", "--metrics-port", "0", "--log-format", "json",
    ]  # fmt: skip
    with serving(args, log) as url:
        deadline = time.monotonic() + 20
        while get(f"{url}/readyz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert get(f"{url}/readyz") == (200, "ok\n")
        assert get(f"{url}/livez") == (200, "ok\n")
        with psycopg.connect(worker_dsn, autocommit=True) as conn:
            for integration in ("steady", "steady", "broken"):
                conn.execute(
                    "SELECT runlog.request_sync(%s, %s, 'manual', NULL, %s)",
                    [ORG, integration, uuid.uuid4().hex],
                )
        wait_until_ended(worker_dsn, 3)
        found = scrape(url)
    duration = "pyrunlog_worker_handler_duration_seconds_count"
    steady = frozenset({"integration_type": "steady", "status": "succeeded"}.items())
    broken = frozenset({"integration_type": "broken", "status": "failed"}.items())
    assert found[(duration, steady)] == 2
    assert found[(duration, broken)] == 1
    assert found[("pyrunlog_worker_claims_total", frozenset())] == 3
    assert found[("pyrunlog_worker_runs_in_flight", frozenset())] == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    failed = [line for line in lines if "failed (" in line["message"] and "run_id" in line]
    # the handler's failure, then the retry decision: both about attempt 1, a system_error
    assert len(failed) == 2, lines
    finished = [
        line for line in lines if line["message"].startswith("run ") and " of " in line["message"]
    ]
    assert len(finished) == 3, "one line per finished run"
    assert all("run_id" in line and "integration_type" in line for line in finished), finished
    assert "retry as run" in failed[1]["message"]
    for line in failed:
        assert line["run_id"] == failed[0]["run_id"]
        assert line["org_id"] == str(ORG)
        assert line["integration_type"] == "broken"
        assert (line["attempt"], line["failure_type"]) == (1, "system_error")
        assert line["level"] == "info"
    assert all("run_id" not in line for line in lines if "serving" in line["message"])


def test_probes_fail_before_the_loop_runs(tmp_path: Path) -> None:
    from pyrunlog.observability.probes import MetricsObserver, serve_probes

    observer = MetricsObserver(stale_after=0.5)
    with serve_probes(observer, 0) as url:
        assert get(f"{url}/livez")[0] == 503
        observer.loop_alive(listening=False)
        assert get(f"{url}/livez")[0] == 200
        assert get(f"{url}/readyz")[0] == 503, "not listening: not ready"
        observer.loop_alive(listening=True)
        assert get(f"{url}/readyz")[0] == 200
        time.sleep(0.6)
        assert get(f"{url}/livez")[0] == 503, "a loop that stopped iterating is not alive"
