"""Run tables and the demo screen read well in an 80x24 terminal."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from uuid import UUID

import psycopg
from rich.console import Console

from pyrunlog import demo
from pyrunlog.display import org_labels, runs_table
from pyrunlog.repository import RunLog

LONG_ERROR = "ConnectionError: 503 Service Unavailable from the vendor API, retry after 120s"


def _render(renderable: object, width: int = 80, height: int = 24) -> list[str]:
    console = Console(width=width, height=height, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def _runs(worker: RunLog) -> list[object]:
    for org_id in demo.ORGS.values():
        for integration in ("xledger", "dynamics_365"):
            run = worker.start_run(org_id, integration)
            worker.finish_run(run.id, "failed", 1234, 5, LONG_ERROR + "\nsecond line")
    return [run for org_id in demo.ORGS.values() for run in worker.last_runs(org_id)]


def test_at_80_columns_every_column_keeps_its_meaning(worker_dsn: str) -> None:
    with RunLog(worker_dsn) as worker:
        runs = _runs(worker)
    lines = _render(runs_table(runs, title="last runs", width=80))  # type: ignore[arg-type]
    assert all(len(line) <= 80 for line in lines)
    header = lines[1].split()
    assert header == ["org", "integration", "run", "status", "started", "took", "ok/failed",
                      "drift", "error"]  # fmt: skip
    rows = lines[3:]
    assert len(rows) == 6, "one line per run"
    for row in rows:
        assert "dynamics_365" in row or "xledger" in row
        assert " failed " in row
        assert "1234/5" in row
        assert row.rstrip().endswith("…"), "the long error is cut with an ellipsis"
        assert "second line" not in row


def test_a_wide_terminal_shows_the_whole_first_line_of_the_error(worker_dsn: str) -> None:
    with RunLog(worker_dsn) as worker:
        runs = _runs(worker)
    lines = _render(runs_table(runs, width=240), width=240)  # type: ignore[arg-type]
    assert lines[0].split()[:4] == ["org", "integration", "run", "status"]
    assert all(line.rstrip().endswith(LONG_ERROR) for line in lines[2:])


def test_the_demo_screen_fits_24_lines_with_its_countdown_first(dsn: str, worker_dsn: str) -> None:
    with (
        RunLog(worker_dsn) as worker,
        psycopg.connect(dsn, autocommit=True) as conn,
    ):
        _runs(worker)
        scheduled_at = datetime(2026, 11, 30, 4, 53, 22, tzinfo=timezone.utc)
        screen = demo._screen(conn, worker, 42.0, scheduled_at, 80)
    lines = _render(screen)
    assert lines[0].startswith("demo ends in 42s")
    assert len(lines) <= 24 - 4, "room for the four lines printed before the live screen"
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "Vestland" in text
    assert "drift:" in text
    assert "created at 04:53:22, after the pre-warm of 04:53" in text


def test_the_demo_really_drifts_past_its_threshold() -> None:
    """The slow sync starts with the demo; the first slot comes at most 60 s later and
    waits behind it, so it starts at least SLOW_SECONDS - 60 s late."""
    assert demo.SLOW_SECONDS - 60 > demo.DRIFT_THRESHOLD_SECONDS


def test_a_retried_run_shows_its_attempt_and_failure_type(worker_dsn: str) -> None:
    with RunLog(worker_dsn) as worker:
        runs = _runs(worker)
    retried = [dataclasses.replace(runs[0], attempt=2, failure_type="transient_error")]  # type: ignore[type-var]
    lines = _render(runs_table(retried, width=200), width=200)  # type: ignore[arg-type]
    assert lines[0].split()[:5] == ["org", "integration", "run", "try", "status"]
    assert " 2 " in lines[2]
    assert "failed (transient_error)" in lines[2]


def test_organisations_are_told_apart_when_narrow_and_whole_when_wide() -> None:
    first = UUID("12345678-aaaa-4000-8000-000000000001")
    second = UUID("12345678-aaab-4000-8000-000000000002")
    other = UUID("abcdef01-0000-4000-8000-000000000003")
    assert org_labels([first, second, other], 80) == {
        first: "12345678-aaaa", second: "12345678-aaab", other: "abcdef01-0000",
    }  # fmt: skip
    assert org_labels([other], 80) == {other: "abcdef01"}
    assert org_labels([first, other], 200) == {first: str(first), other: str(other)}
    assert org_labels([first], None) == {first: str(first)}


def test_a_run_table_tells_apart_organisations_that_share_8_characters(
    worker_dsn: str,
) -> None:
    first = UUID("12345678-aaaa-4000-8000-000000000001")
    second = UUID("12345678-aaab-4000-8000-000000000002")
    with RunLog(worker_dsn) as worker:
        for org_id in (first, second):
            worker.finish_run(worker.start_run(org_id, "xledger").id, "succeeded", 1, 0)
        runs = [run for org_id in (first, second) for run in worker.last_runs(org_id)]
    text = "\n".join(_render(runs_table(runs, width=100), width=100))  # type: ignore[arg-type]
    assert "12345678-aaaa " in text
    assert "12345678-aaab " in text
